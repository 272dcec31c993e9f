"""Every sentence the kiosk and the centre say outside Qt widgets, in Vietnamese and English.

The core, the devices and the sync worker speak in codes with parameters; the edge that
shows them (the console, a command, a Qt screen) words them here in its reader's language
with :func:`text`, or in both languages with :func:`both` where the reader's language is not
known (a technician's log line, the centre's commands). Qt widgets' own labels use Qt's
translation files (``kiosk/ui/i18n``).

Codes are grouped by prefix: none for a scan's outcome, ``field.``/``detail.`` for why a
payload was refused, ``refusal.`` for why the centre refused an uploaded entry (the codes
of docs/protocol.md, worded by :func:`refusal`), ``kind.`` for kinds of code, ``sync.`` for
uploads, ``clock.`` for a wall clock surely wrong, ``os.`` for why the operating system
refused a file (worded by :func:`os_words`), ``sqlite.`` for why SQLite refused the store
(:func:`failure_words`), ``cli.`` and ``central.`` for the two
commands (a table's header: ``central.columns.*``, its column names joined by ``|``, worded
by :func:`table_header`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.certificates.verdicts import Verdict

LANGUAGES = ("vi", "en")

CATALOGUE: dict[str, tuple[str, str]] = {
    # -- a scan's outcome (ScanResult.words) and direction
    "accepted": ("Hợp lệ", "Accepted"),
    "duplicate": ("Đã quét {minutes} phút trước", "Already scanned {minutes} min ago"),
    "rejected": ("Không hợp lệ", "Refused"),
    "in": ("VÀO", "IN"),
    "out": ("RA", "OUT"),
    "empty": ("Mã trống, không đọc được", "Empty code, nothing to read"),
    "too_large": (
        "Mã quá dài, không phải mã QR hợp lệ ({detail})",
        "Code too long to be a QR code ({detail})",
    ),
    "enrolment_code": (
        "Đây là mã đăng ký trạm, không phải giấy tờ: không ghi. Mở màn hình Kỹ thuật rồi "
        "quét lại (hoặc dùng `kiosk enrol`)",
        "This is a kiosk enrolment code, not an identity document: not recorded. Open the "
        "Technician screen and scan it there (or use `kiosk enrol`)",
    ),
    "code_cut": (  # a code's head without its tail: the payload's or the scanner's framing
        "Mã bị cắt, đọc chưa hết — quét lại ({detail})",
        "Code cut off, not read whole — scan again ({detail})",
    ),
    "cccd_bad_field": ("Mã CCCD sai: {detail}", "Invalid CCCD code: {detail}"),
    "pccovid_bad_field": ("Mã PC-Covid sai: {detail}", "Invalid PC-Covid code: {detail}"),
    "scanner_code_page": (  # payloads.names.mis_decoded: the scanner's setting, not the card
        "Máy quét đọc mã sai bảng mã, không ghi: {detail}",
        "The scanner read the code in the wrong code page, not recorded: {detail}",
    ),
    "manual_bad_field": (
        "Khai báo thủ công thiếu hoặc sai: {detail}",
        "Manual entry incomplete or wrong: {detail}",
    ),
    "centre_rules": (
        "Trung tâm sẽ từ chối lượt này, không ghi: {detail}",
        "The centre would refuse this entry, not recorded: {detail}",
    ),
    "storage_error": (
        "Lỗi lưu trữ, lượt quét CHƯA được ghi: {detail}",
        "Storage error, scan NOT recorded: {detail}",
    ),
    "kiosk_fault": (  # Pipeline._fault: what nobody foresaw; the trace is in the log
        "Lỗi phần mềm của trạm, lượt quét CHƯA được ghi. Quét lại; nếu vẫn lỗi, gọi kỹ thuật "
        "viên (chi tiết trong nhật ký)",
        "Kiosk software fault, scan NOT recorded. Scan again; if it fails again, call the "
        "technician (details in the log)",
    ),
    "certificate_not_valid": (  # under "require-valid": going out is recorded all the same
        "Chứng nhận không hợp lệ, không ghi VÀO: {detail}",
        "Certificate not valid, not recorded going IN: {detail}",
    ),
    "certificate_recorded": ("Đã ghi {direction}", "Recorded {direction}"),
    # -- the officer's card while a scan's answer is slow to come (kiosk.ui.result_card)
    "card.saving": ("ĐANG LƯU…", "SAVING…"),
    "card.saving_wait": (
        "Lượt quét này chưa được ghi. Chờ câu trả lời rồi mới cho người tiếp theo qua.",
        "This scan is not recorded yet. Wait for its answer before letting the next person "
        "through."),
    "card.missed_red": (  # a red answer the next scan's replaced before it could be read
        "Lượt quét ngay trước, lúc {time}: {headline} — xem lại người đó.",
        "The scan just before, at {time}: {headline} — check that person again.",
    ),
    "manual.scanned_meanwhile": (  # the manual-entry form's line: the card is under it
        "Vừa quét một mã khi cửa sổ này đang mở: {answer}",
        "Scanned while this window is open: {answer}",
    ),
    "card.not_id": (  # kind "other": a URL, a product code, a venue's code — no person
        "{direction} — KHÔNG PHẢI MÃ ĐỊNH DANH",
        "{direction} — NOT AN ID CODE",
    ),
    "recent.not_id": (  # the officer's recent list: the name column of such a code's row
        "Mã không định danh: {clip}",
        "Not an ID code: {clip}",
    ),
    "officer.not_id_count": (  # under today's tiles: such codes are no one in them
        "Mã không phải giấy tờ hôm nay: {count}",
        "Codes naming nobody today: {count}",
    ),
    "card.not_id_ask": (
        "Mã không cho biết là ai: hỏi CCCD, hộ chiếu hoặc khai báo thủ công.",
        "This code does not say who the person is. Ask for an ID document (citizen ID, "
        "passport) or use manual entry.",
    ),
    "certificate_check": (
        "CHỨNG NHẬN KHÔNG HỢP LỆ — KIỂM TRA GIẤY TỜ",
        "CERTIFICATE NOT VALID — CHECK DOCUMENTS",
    ),
    "certificate_refused": (
        "KHÔNG GHI VÀO — chỉ chứng nhận hợp lệ được vào (lượt RA vẫn được ghi)",
        "NOT RECORDED IN — only valid certificates may enter (leaving is always recorded)",
    ),
    "blocked_duplicate": (
        "Đã quét {minutes} phút trước, không ghi lại",
        "Already scanned {minutes} min ago, not recorded again",
    ),
    # -- why a payload was refused: the field named, what is wrong with it (Rejection)
    "field.id": ("số CCCD", "ID"),
    "field.old_id": ("số CMND cũ", "old ID"),
    "field.name": ("họ tên", "name"),
    "field.address": ("địa chỉ", "address"),
    "field.birth_date": ("ngày sinh", "birth date"),
    "field.issue_date": ("ngày cấp", "issue date"),
    "field.gender": ("giới tính", "gender"),
    "field.document_number": ("số giấy tờ", "document number"),
    "field.phone": ("số điện thoại", "phone"),
    "field.qid": ("mã QID", "QID"),
    "detail.date_format": (
        "{field} '{value}': phải có dạng NNTTNNNN",
        "{field} '{value}': expected DDMMYYYY",
    ),
    "detail.no_such_date": (
        "{field} '{value}': ngày không tồn tại",
        "{field} '{value}': no such date",
    ),
    "detail.in_future": ("{field} '{value}': ở tương lai", "{field} '{value}': in the future"),
    "detail.id_digits": (
        "{field} '{value}': phải có 12 chữ số",
        "{field} '{value}': expected 12 digits",
    ),
    "detail.old_id_digits": (
        "{field} '{value}': phải có 9 hoặc 12 chữ số, hoặc để trống",
        "{field} '{value}': expected 9 or 12 digits or empty",
    ),
    "detail.gender": (
        "{field} '{value}': phải là Nam hoặc Nữ",
        "{field} '{value}': expected Nam or Nữ",
    ),
    "detail.missing": ("thiếu {field}", "{field} is empty"),
    "detail.issued_before_birth": ("ngày cấp trước ngày sinh", "issue date is before birth date"),
    "detail.digits": (
        "{field} '{value}': chỉ được có chữ số",
        "{field} '{value}': expected digits",
    ),
    "detail.document_format": (
        "{field} '{value}': phải có 9 hoặc 12 chữ số, hoặc số hộ chiếu Việt Nam (1 chữ cái, "
        "7–8 chữ số); giấy tờ của nước khác: chọn «Giấy tờ nước ngoài»",
        "{field} '{value}': expected 9 or 12 digits, or a Vietnamese passport number (a "
        "letter, 7–8 digits); another country's document: choose \"Foreign document\"",
    ),
    "detail.document_digits": (
        "{field} '{value}': chỉ có chữ số mà không phải 9 hay 12 chữ số (CCCD có 12, CMND "
        "có 9) — thiếu hay thừa một chữ số? Đọc lại từng chữ số trên giấy tờ",
        "{field} '{value}': digits only, yet not 9 or 12 of them (a CCCD has 12, a CMND 9) "
        "— a digit lost or doubled? Read the number on the document again, digit by digit",
    ),
    "detail.foreign_document_format": (
        "{field} '{value}': giấy tờ nước ngoài cần 6 đến 20 chữ cái hoặc chữ số, có ít nhất "
        "một chữ số",
        "{field} '{value}': a foreign document needs 6 to 20 letters or digits, at least one "
        "a digit",
    ),
    "detail.made_up": (
        "{field} '{value}': không phải số thật (một chữ số lặp lại, hoặc dãy 1-2-3…) — hỏi "
        "số trên giấy tờ của người này",
        "{field} '{value}': not a real number (one digit repeated, or 1-2-3…) — ask for the "
        "number on the person's document",
    ),
    "detail.phone_format": (
        "{field} '{value}': không đúng dạng số điện thoại (0… hoặc +84…; số nước ngoài: "
        "+mã nước rồi số, như +1 202 555 0143)",
        "{field} '{value}': not a phone number (0… or +84…; a foreign one: + country code "
        "and number, such as +1 202 555 0143)",
    ),
    "detail.document_or_phone": (
        "cần số giấy tờ hoặc số điện thoại",
        "a document number or a phone number is needed",
    ),
    "detail.not_utf8": (
        "{field} có byte {value} không phải văn bản UTF-8: kiểm tra máy quét đặt bảng mã "
        "UTF-8, rồi quét lại hoặc nhập tay",
        "{field} holds byte {value}, which is not UTF-8 text: check that the scanner is set "
        "to UTF-8, then scan again or enter it by hand",
    ),
    "detail.mis_decoded": (
        "{field} '{value}' có ký tự chữ tiếng Việt không có: máy quét đọc mã theo bảng "
        "mã khác (Latin-1, cp1252, cp1258), thẻ không có lỗi. Gọi kỹ thuật viên: đặt bảng mã "
        "QR / đầu ra của máy quét là UTF-8 (xem `kiosk devices watch`); tạm thời nhập tay",
        "{field} '{value}' holds characters no Vietnamese text has: the scanner read the code "
        "in another code page (Latin-1, cp1252, cp1258), the card is fine. Call the "
        "technician: set the scanner's QR code page / output to UTF-8 (see `kiosk devices "
        "watch`); meanwhile use manual entry",
    ),
    "detail.eth_for_d": (  # payloads.names.eth_for_d
        "{field} '{value}' có chữ 'Ð' (U+00D0, chữ eth của tiếng Iceland) thay cho 'Đ': hai "
        "chữ trông giống nhau, nhưng máy quét đọc mã theo bảng mã cp1252 (byte 0xD0 là Đ "
        "trong cp1258, là Ð trong cp1252), có thể sai cả các chữ khác; thẻ không có lỗi. Gọi "
        "kỹ thuật viên: `kiosk devices watch` chỉ ra cần đặt gì (đầu ra của máy quét là "
        "UTF-8, hoặc ansi_codepage = \"cp1258\" với máy quét gõ Alt+số); tạm thời nhập tay",
        "{field} '{value}' has 'Ð' (U+00D0, the Icelandic eth) in place of 'Đ': they look "
        "alike, but the scanner read the code in the cp1252 code page (byte 0xD0 is Đ in "
        "cp1258, Ð in cp1252), other letters may be wrong too; the card is fine. Call the "
        "technician: `kiosk devices watch` names the setting (the scanner's output in UTF-8, "
        "or ansi_codepage = \"cp1258\" for a scanner typing Alt codes); meanwhile use manual "
        "entry",
    ),
    "card.scanner_code_page": (
        "Máy quét đọc sai chữ của mã này; thẻ không có lỗi. Gọi kỹ thuật viên.",
        "The scanner misread this code's letters; the card is fine. Call the technician.",
    ),
    "detail.field_count": (
        "có {value} trường, mã CCCD có 6, 7 hoặc 11 trường",
        "{value} fields, a CCCD code has 6, 7 or 11",
    ),
    "detail.cut_cccd": (
        "mã bắt đầu như mã CCCD nhưng chỉ có {value} trường (CCCD có 6, 7 hoặc 11)",
        "it starts like a CCCD code but has only {value} fields (a CCCD has 6, 7 or 11)",
    ),
    "detail.cut_pccovid": (
        "mã bắt đầu như mã PC-Covid nhưng chỉ có {value} trường (PC-Covid có 6)",
        "it starts like a PC-Covid code but has only {value} fields (PC-Covid has 6)",
    ),
    "detail.cut_hc1": (
        "mã bắt đầu như chứng nhận (HC1:) nhưng dữ liệu dừng trước khi hết",
        "it starts like a certificate (HC1:) but its data stops before the end",
    ),
    "detail.cut_end": (
        "máy quét bị ngắt khi đang gửi mã",
        "the scanner was disconnected while sending the code",
    ),
    "detail.cut_gap": (
        "máy quét ngừng gửi trước ký tự kết thúc đã cài (terminator). Nếu lượt quét nào "
        "cũng báo thế này: gọi kỹ thuật viên — máy quét không gửi ký tự kết thúc; đặt "
        "terminator = \"none\" trong cấu hình, hoặc bật hậu tố kết thúc (CR/LF, Enter) trên "
        "máy quét",
        "the scanner stopped before the configured terminator. If every scan says this: call "
        "the technician — the scanner sends no terminator; set terminator = \"none\" in the "
        "configuration, or turn on the scanner's end suffix (CR/LF, Enter)",
    ),
    "detail.cut_tail": (
        "phần còn lại của một mã vừa bị ngắt quãng",
        "the rest of a code whose start was cut off just before",
    ),
    "detail.cut_noise": (  # serial_framer.line_noise: a port at another baud rate
        "mã đọc không rõ: máy quét gửi byte nhiễu (NUL, ký tự điều khiển, byte không có "
        "trong bảng mã). Nếu lượt quét nào cũng báo thế này: gọi kỹ thuật viên — kiểm tra "
        "tốc độ baud của máy quét (thường 9600 hoặc 115200)",
        "the code was not read clearly: the scanner's bytes arrived as line noise (NUL, "
        "control bytes, bytes no code page has). If every scan says this: call the "
        "technician — check the scanner's baud rate (usually 9600 or 115200)",
    ),
    "detail.size_bytes": ("{value} byte", "{value} bytes"),
    "detail.size_chars": ("{value} ký tự", "{value} characters"),
    # -- why the centre refused one uploaded entry: the stable codes and parameters of the
    #    protocol's answer (docs/protocol.md, kiosk.sync.protocol.Refusal). The English is
    #    the ``reason`` text the centre sends; {got} is a JSON quotation or a JSON type name
    #    (``json.*``), {allowed} a list of JSON values (worded by :func:`refusal`)
    "refusal.missing_field": ("{field}: thiếu trường này", "{field}: missing field"),
    "refusal.unknown_field": ("{field}: trường không có trong giao thức",
                              "{field}: unknown field"),
    "refusal.not_object": ("{field}: cần một đối tượng JSON, nhận được {got}",
                           "{field}: expected an object, got {got}"),
    "refusal.not_string": ("{field}: cần một chuỗi, nhận được {got}",
                           "{field}: expected a string, got {got}"),
    "refusal.not_string_or_null": ("{field}: cần một chuỗi hoặc null, nhận được {got}",
                                   "{field}: expected a string or null, got {got}"),
    "refusal.empty": ("{field}: không được để trống", "{field}: must not be empty"),
    "refusal.too_long": ("{field}: dài quá {limit} ký tự",
                         "{field}: longer than {limit} characters"),
    "refusal.not_uuid7": ("{field}: cần một UUIDv7 viết thường, nhận được {got}",
                          "{field}: expected a lowercase UUIDv7, got {got}"),
    "refusal.not_uuid": ("{field}: cần một UUID viết thường, nhận được {got}",
                         "{field}: expected a lowercase UUID, got {got}"),
    "refusal.not_utc_time": (
        "{field}: cần giờ UTC dạng 2024-05-01T08:30:00.000000Z, nhận được {got}",
        "{field}: expected UTC time like 2024-05-01T08:30:00.000000Z, got {got}",
    ),
    "refusal.nul_character": ("{field}: chứa ký tự NUL", "{field}: contains a NUL character"),
    "refusal.lone_surrogate": ("{field}: không phải Unicode hợp lệ (surrogate lẻ)",
                               "{field}: not valid Unicode (lone surrogate)"),
    "refusal.not_integer": ("{field}: cần số nguyên từ {min} đến {max}, nhận được {got}",
                            "{field}: expected an integer from {min} to {max}, got {got}"),
    "refusal.not_allowed": ("{field}: cần {allowed}, nhận được {got}",
                            "{field}: expected {allowed}, got {got}"),
    "refusal.protocol_version": ("{field}: máy chủ này dùng giao thức {allowed}, nhận được {got}",
                                 "{field}: this server speaks protocol {allowed}, got {got}"),
    "refusal.not_json": ("{field}: không viết được thành JSON ({detail})",
                         "{field}: not representable as JSON ({detail})"),
    "refusal.json_too_long": ("{field}: dài quá {limit} ký tự khi viết thành JSON",
                              "{field}: larger than {limit} characters"),
    "refusal.not_base64_text": ("{field}: cần chuỗi base64, nhận được {got}",
                                "{field}: expected base64 text, got {got}"),
    "refusal.not_base64": ("{field}: không phải base64 hợp lệ", "{field}: not valid base64"),
    "refusal.empty_payload": ("{field}: mã quét rỗng", "{field}: empty payload"),
    "refusal.payload_too_large": ("{field}: mã quét lớn quá {limit} byte",
                                  "{field}: payload larger than {limit} bytes"),
    "refusal.invalid": ("{field}: không hợp lệ ({detail})", "{field}: invalid ({detail})"),
    "refusal.other_kiosk": (
        "{field}: lượt của trạm '{entry_kiosk}' lại được gửi bằng mã của trạm '{kiosk}'",
        "{field}: entry of kiosk '{entry_kiosk}' submitted for kiosk '{kiosk}'",
    ),
    "refusal.other_checkpoint": (
        "{field}: trạm '{kiosk}' được đăng ký tại điểm '{enrolled}', không phải '{checkpoint}'",
        "{field}: kiosk '{kiosk}' is enrolled at checkpoint '{enrolled}', not '{checkpoint}'",
    ),
    "refusal.too_old": (
        "{field}: {time} sớm hơn {days} ngày trước khi tới trung tâm — kiểm tra đồng hồ trạm",
        "{field}: {time} is more than {days} days before it reached the centre — check the "
        "kiosk's clock",
    ),
    "refusal.too_new": (
        "{field}: {time} muộn hơn lúc tới trung tâm — kiểm tra đồng hồ trạm",
        "{field}: {time} is later than it reached the centre — check the kiosk's clock",
    ),
    "refusal.reserved": (
        "{field}: {got} là khoá của lượt đã bị trung tâm xoá danh tính, trạm không được gửi",
        "{field}: {got} is the key of an entry whose identity the centre erased, not one a "
        "kiosk sends",
    ),
    "refusal.id_past_calendar": (
        "{field}: {got} mang thời điểm từ ngày 31/12/9999 trở đi: không đồng hồ nào tạo ra mã "
        "lượt như vậy",
        "{field}: {got} carries a time on or after 9999-12-31: no clock makes such an entry id",
    ),
    "refusal.id_conflict": (
        "{field}: trung tâm đã lưu một lượt khác cùng mã này",
        "{field}: already stored with different content",
    ),
    "refusal.after_revocation": (
        "lượt ghi lúc hoặc sau khi trạm bị thu hồi ({at}): trung tâm không lưu",
        "taken at or after the kiosk's revocation ({at}): not stored at the centre",
    ),
    "refusal.after_retirement": (
        "lượt ghi lúc hoặc sau khi khoá ký {fingerprint} bị thay ({at}): trung tâm không lưu",
        "taken at or after its signing key {fingerprint} was retired ({at}): not stored at "
        "the centre",
    ),
    "refusal.before_registration": (
        "lượt ghi trước khi khoá ký {fingerprint} được đăng ký ({at}): trung tâm không lưu",
        "taken before its signing key {fingerprint} was registered ({at}): not stored at the "
        "centre",
    ),
    "json.object": ("một đối tượng", "an object"),
    "json.array": ("một mảng", "an array"),
    "json.string": ("một chuỗi", "a string"),
    "json.number": ("một số", "a number"),
    "json.boolean": ("giá trị đúng/sai", "a boolean"),
    "json.null": ("null", "null"),
    "json.or": ("{first} hoặc {second}", "{first} or {second}"),
    # -- certificate verdicts (kiosk.certificates.verdicts): the officer's headline, and the
    #    reason a certificate was not recorded (``detail.certificate_<status>``, same words)
    "certificate.valid": ("CHỨNG NHẬN HỢP LỆ", "CERTIFICATE VALID"),
    "certificate.expired": ("HẾT HẠN", "EXPIRED"),
    "certificate.not_yet_valid": ("CHƯA CÓ HIỆU LỰC", "NOT YET VALID"),
    "certificate.trust_list_stale": (
        "DANH SÁCH KHÓA QUÁ CŨ — CHƯA CHẮC HỢP LỆ",
        "TRUST LIST TOO OLD — NOT CONFIRMED",
    ),
    "certificate.no_trust_list": (
        "CHƯA CÓ DANH SÁCH KHÓA — CHƯA KIỂM TRA",
        "NO TRUST LIST — NOT CHECKED",
    ),
    "certificate.unknown_issuer": ("KHÔNG RÕ NƠI CẤP", "ISSUER UNKNOWN"),
    "certificate.bad_signature": ("CHỮ KÝ KHÔNG HỢP LỆ", "SIGNATURE NOT VALID"),
    "certificate.wrong_kind": ("NƠI CẤP KHÔNG ĐƯỢC CẤP LOẠI NÀY", "ISSUER MAY NOT SIGN THIS KIND"),
    "certificate.positive_test": ("XÉT NGHIỆM DƯƠNG TÍNH", "TEST POSITIVE"),
    "certificate.unreadable": ("CHỨNG NHẬN KHÔNG ĐỌC ĐƯỢC", "CERTIFICATE UNREADABLE"),
    "certificate.fact.doses": ("{dose}/{doses} mũi", "dose {dose}/{doses}"),
    "certificate.fact.vaccinated_on": ("tiêm ngày {date}", "vaccinated {date}"),
    "certificate.fact.not_detected": ("xét nghiệm âm tính", "test negative"),
    "certificate.fact.detected": ("xét nghiệm DƯƠNG TÍNH", "test POSITIVE"),
    "certificate.fact.sampled": ("lấy mẫu {when}", "sampled {when}"),
    "certificate.fact.recovered": (
        "đã khỏi bệnh, hiệu lực đến {until}",
        "recovered, valid until {until}",
    ),
    "certificate.fact.born": ("Ngày sinh {date}", "Born {date}"),
    # -- the wall clock surely wrong (kiosk/clock.py): `kiosk doctor`, `kiosk sync status`
    "clock.wrong": (
        "ĐỒNG HỒ SAI: máy chỉ {now}, trước cả ngày phát hành phiên bản này ({released}). "
        "Lượt quét vẫn được ghi, nhưng trung tâm xếp sai ngày và từ chối lượt cũ hơn 400 "
        "ngày: bật NTP nếu có mạng (`sudo timedatectl set-ntp true`), nếu không thì chỉnh giờ "
        "bằng tay (`sudo date -s \"YYYY-MM-DD HH:MM\"`, rồi `sudo hwclock -w`); thay pin "
        "đồng hồ (RTC)",
        "CLOCK WRONG: it reads {now}, before this version's release ({released}). Scans are "
        "still recorded, but the centre files them on the wrong day and refuses those more "
        "than 400 days old: enable NTP where there is a network (`sudo timedatectl set-ntp "
        "true`), else set the time by hand (`sudo date -s \"YYYY-MM-DD HH:MM\"`, then `sudo "
        "hwclock -w`); replace the RTC battery"),
    # -- `kiosk doctor`
    "doctor.config_bad": ("Cấu hình sai: {detail}", "Config invalid: {detail}"),
    "doctor.config_ok": ("Cấu hình hợp lệ ({path})", "Config valid ({path})"),
    "doctor.files_private": (
        "Kho dữ liệu, mã đồng bộ và khoá ký chỉ chủ sở hữu đọc được",
        "Store, sync token and signing key readable by their owner only"),
    "doctor.no_store": ("Chưa có kho dữ liệu {path}: chạy `kiosk run` một lần",
                        "No store at {path}: run `kiosk run` once"),
    "doctor.writable": ("Thư mục kho ghi được ({folder})", "Store folder writable ({folder})"),
    "doctor.unwritable": ("Không ghi được vào {folder}: {problem}; sửa quyền thư mục",
                          "Cannot write in {folder}: {problem}; fix the folder's owner or mode"),
    "doctor.store_unreadable": ("Không mở được kho {path}: {detail}",
                                "Cannot open the store {path}: {detail}"),
    "doctor.store_disk_full": (
        "Ổ đĩa chứa {folder} đã đầy: trạm không mở được kho {path} để ghi lượt quét (vẫn đọc "
        "và xuất được). Giải phóng chỗ trống trên ổ đĩa đó (xem: df -h {folder})",
        "The disk holding {folder} is full: the kiosk cannot open the store {path} to record "
        "scans (it can still be read and exported). Free some space on that disk (see: df -h "
        "{folder})"),
    "doctor.upgrade_copy": (
        "{path}: bản sao kho trước nâng cấp ({made}), chứa dữ liệu cá nhân của mọi lượt lúc đó; "
        "chỉ để quay lại phiên bản cũ (kiosk store restore). Tự xoá khi cũ hơn {days} ngày "
        "(thời hạn lưu) và kho đã được kiểm tra là tốt",
        "{path}: a copy of the store made before an upgrade ({made}), holding the personal "
        "data of every entry then; kept only to go back (kiosk store restore). Deleted by the "
        "purge once older than {days} days (the retention) and the store checked sound"),
    "doctor.integrity": ("Kho {path}: kiểm tra toàn vẹn đạt",
                         "Store {path}: integrity check passed"),
    "doctor.integrity_damaged": (
        "Kho {path}: kiểm tra toàn vẹn thấy các trang của tệp bị hỏng. Dừng trạm, rồi chạy: "
        "kiosk store recover (giữ lại tệp hỏng)",
        "Store {path}: the integrity check finds the file's pages damaged. Stop the kiosk, "
        "then run: kiosk store recover (the damaged file is kept)"),
    "doctor.disk_days": ("Còn trống {gb} GB: đủ {days} ngày quét với {per_day} lượt/ngày",
                         "{gb} GB free: {days} days of scanning at {per_day} scans a day"),
    "doctor.disk_idle": ("Còn trống {gb} GB (chưa có lượt quét trong 24 giờ qua)",
                         "{gb} GB free (no scans in the last 24 hours)"),
    "doctor.nothing_pending": ("Không còn lượt nào chờ gửi", "No entry waiting for the centre"),
    "doctor.title_sample": (
        'Tiêu đề màn hình vẫn là "{title}" của tệp mẫu: cán bộ và người xếp hàng tưởng trạm '
        'chỉ để trình diễn. Đặt [kiosk] checkpoint_name (tên chốt, ví dụ "Chốt QL1A - làn 1") '
        "trong {config}, rồi khởi động lại trạm (sudo systemctl restart checkpoint-kiosk)",
        'The screen\'s title is still the sample\'s "{title}": the officers and the people '
        'queuing take the kiosk for a demonstration. Set [kiosk] checkpoint_name (the '
        'checkpoint\'s name, e.g. "Chốt QL1A - làn 1") in {config}, then restart the kiosk '
        "(sudo systemctl restart checkpoint-kiosk)"),
    "doctor.oldest_pending": ("Lượt chờ gửi cũ nhất: {oldest} ({age})",
                              "Oldest entry waiting for the centre: {oldest} ({age})"),
    "doctor.oldest_pending_unenrolled": (
        "Lượt chờ gửi cũ nhất: {oldest} ({age}). {count} lượt chờ gửi được ghi dưới mã trạm "
        "không phải mã đã cấu hình của trạm này và không có ghi nhận nào cho thấy đã đăng ký ở "
        "đây: {kiosks}. Nếu là lượt quét thử: xem lại (`kiosk sync discard-unenrolled "
        "--kiosk-id {first} --reason …` không có --yes chỉ đếm), rồi xoá bằng lệnh đó với "
        "--yes. Nếu {first} là mã trạm thật: gửi bằng mã đồng bộ của nó (`kiosk sync push "
        "--kiosk-id {first} --token-file TỆP`) hoặc xuất ra tệp",
        "Oldest entry waiting for the centre: {oldest} ({age}). {count} waiting entries are "
        "recorded under a kiosk id that is not this kiosk's configured id and no record shows "
        "enrolled here: {kiosks}. If these are test scans: look first (`kiosk sync "
        "discard-unenrolled --kiosk-id {first} --reason …` without --yes only counts them), "
        "then delete them with the same command and --yes. If {first} is a real kiosk id: "
        "send them with its token (`kiosk sync push --kiosk-id {first} --token-file FILE`) "
        "or export them"),
    "doctor.no_reader": (
        "Không có máy quét hay camera nào được bật ({why}): trạm không đọc được mã nào, chỉ "
        "khai báo thủ công được. Đặt enabled = true ở một bảng [[devices]] trong {config}, "
        "hoặc chạy `kiosk devices` để tìm máy quét đang cắm (kèm đoạn cấu hình để dán vào)",
        "No scanner or camera enabled ({why}): the kiosk cannot read any code, only manual "
        "entry. Set enabled = true on a [[devices]] table in {config}, or run `kiosk "
        "devices` to find a scanner plugged in (with a snippet to paste)"),
    "doctor.no_devices_table": ("không có bảng [[devices]] nào", "no [[devices]] table"),
    "doctor.devices_all_off": ("mọi bảng [[devices]] ({n}) đều enabled = false",
                               "every [[devices]] table ({n}) has enabled = false"),
    "doctor.device_node": ("Thiết bị {where}: {state}; {heard}",
                           "Device {where}: {state}; {heard}"),
    "doctor.device": ("Thiết bị {where}: {heard}", "Device {where}: {heard}"),
    "doctor.ready": ("sẵn sàng", "ready"),
    "doctor.heard_nothing": ("chưa nhận gì trong {days} ngày qua: quét thử một mã",
                             "nothing received in the last {days} days: scan a test code"),
    "doctor.heard_nothing_replay": (
        "chưa nhận gì trong {days} ngày qua; thiết bị phát lại chỉ đọc mã từ một tệp (demo, "
        "thử nghiệm), không phải người qua chốt: nếu đây là thiết bị mẫu, đặt enabled = false "
        "cho nó trong {config}",
        "nothing received in the last {days} days; a replay device only plays codes from a "
        "file (demos, tests), not people at the checkpoint: if it is the sample device, set "
        "enabled = false on it in {config}"),
    "doctor.heard": ("lần cuối gửi {what} lúc {when} ({age})",
                     "last sent {what} at {when} ({age})"),
    "doctor.sent_refused": ("một mã bị từ chối ({reason})", "a refused code ({reason})"),
    "doctor.sent_entry": ("{kind}, {status}", "{kind}, {status}"),
    "doctor.accepted": ("ghi nhận", "accepted"),
    "doctor.duplicate": ("trùng", "duplicate"),
    "doctor.minutes": ("{n} phút", "{n} min"),
    "doctor.hours": ("{n} giờ", "{n} h"),
    "doctor.clock_unknown": (
        "Không biết đồng hồ hệ thống có đồng bộ không (không có timedatectl hay chronyc trả "
        "lời): xem độ lệch với trung tâm",
        "Cannot tell whether the system clock is synchronised (neither timedatectl nor chronyc "
        "answers): see the offset to the centre"),
    "doctor.clock_synced": ("Đồng hồ hệ thống đã đồng bộ ({tool})",
                            "System clock synchronised ({tool})"),
    "doctor.clock_not_synced": (
        "Đồng hồ hệ thống chưa đồng bộ ({tool}): kiểm tra mạng và NTP "
        "(`timedatectl set-ntp true`)",
        "System clock not synchronised ({tool}): check the network and NTP "
        "(`timedatectl set-ntp true`)"),
    "doctor.clock_right": (
        "Đồng hồ chỉ {now}: không trước ngày phát hành phiên bản này",
        "The clock reads {now}: not before this version's release"),
    "doctor.centre_address": ("Địa chỉ trung tâm: {detail}", "Centre address: {detail}"),
    "doctor.centre_unreachable": ("Không kết nối được trung tâm {url}: {detail}",
                                  "Cannot reach the centre {url}: {detail}"),
    "doctor.centre_ok": ("Trung tâm {url} trả lời", "Centre {url} answers"),
    "doctor.not_enrolled": (
        "Trạm {kiosk} chưa đăng ký với trung tâm nào ([sync] enabled = false, không có mã "
        "đồng bộ, trong {config}): lượt quét chỉ nằm trên máy này, không tới trung tâm. Đăng "
        "ký: trung tâm làm mã QR (`kiosk-central kiosks add --checkpoint … --kiosk-id … "
        "--qr …`), rồi ở trạm chạy `kiosk enrol --camera 0` (hoặc quét mã trên màn hình Kỹ "
        "thuật)",
        "Kiosk {kiosk} is not enrolled at any centre ([sync] enabled = false, no sync token, "
        "in {config}): its scans stay on this machine and never reach a centre. Enrol it: "
        "the centre makes a QR (`kiosk-central kiosks add --checkpoint … --kiosk-id … "
        "--qr …`), then run `kiosk enrol --camera 0` here (or scan it on the Technician "
        "screen)"),
    "doctor.pin_sample": (
        "Mã PIN vẫn là {pin} của tệp mẫu (in trong tài liệu): ai ở chốt cũng mở được màn hình "
        "kỹ thuật và đồng bộ (tắt máy quét, đổi cấu hình, xuất dữ liệu). Đặt [kiosk] pin mới "
        "trong {config}, rồi khởi động lại trạm (sudo systemctl restart checkpoint-kiosk)",
        "The PIN is still the sample's {pin} (printed in the docs): anyone at the checkpoint "
        "can open the technician and sync screens (turn scanners off, change the config, "
        "export data). Set a new [kiosk] pin in {config}, then restart the kiosk (sudo "
        "systemctl restart checkpoint-kiosk)"),
    "doctor.pin_none": (
        "Không có mã PIN ([kiosk] pin = \"{pin}\"): ai ở chốt cũng mở được màn hình kỹ "
        "thuật và đồng bộ (tắt máy quét, đổi cấu hình, xuất dữ liệu). Đặt [kiosk] pin trong "
        "{config}, rồi khởi động lại trạm (sudo systemctl restart checkpoint-kiosk)",
        "No PIN ([kiosk] pin = \"{pin}\"): anyone at the checkpoint can open the technician "
        "and sync screens (turn scanners off, change the config, export data). Set [kiosk] "
        "pin in {config}, then restart the kiosk (sudo systemctl restart checkpoint-kiosk)"),
    "doctor.uploads_off": (
        "Không gửi lên trung tâm qua mạng ([sync] enabled = false trong {config}): lượt quét "
        "chỉ tới trung tâm bằng tệp tồn đọng (`kiosk sync export`). Có mạng thì đặt [sync] "
        "enabled = true",
        "Uploads are off ([sync] enabled = false in {config}): entries reach the centre only "
        "in backlog files (`kiosk sync export`). Where there is a network, set [sync] "
        "enabled = true"),
    "doctor.clock_offset": ("Đồng hồ lệch trung tâm {offset} giây",
                            "Clock differs from the centre by {offset} s"),
    "doctor.token_ok": ("Mã đồng bộ được chấp nhận", "Token accepted"),
    "doctor.token_refused": (
        "Trung tâm từ chối mã đồng bộ ({detail}): trung tâm cấp mã mới cho chính trạm này bằng "
        "`kiosk-central kiosks token {kiosk} --reason …` (hoặc --qr để chạy `kiosk enrol` ở "
        "đây)",
        "The centre refuses the token ({detail}): the centre issues this same kiosk a new one "
        "with `kiosk-central kiosks token {kiosk} --reason …` (or --qr, for `kiosk enrol` "
        "here)"),
    "doctor.token_unavailable": (
        "Không có mã đồng bộ để gửi: {problem}. Sửa [sync] token_file trong {config} cho đúng "
        "tên tệp, hoặc cho tài khoản chạy trạm quyền đọc tệp (chủ sở hữu, quyền: `ls -l` tệp "
        "đó). Trung tâm chưa được hỏi: đừng xin mã mới, mã trong tệp có thể vẫn đúng",
        "No sync token to send: {problem}. Fix [sync] token_file in {config} to name the right "
        "file, or let the kiosk's account read it (owner, mode: `ls -l` the file). The centre "
        "was not asked: do not ask it for a new token, the one in the file may well be right"),
    "doctor.registered": (
        "Trung tâm đăng ký trạm {kiosk} tại điểm {checkpoint}, đúng như cấu hình",
        "The centre has kiosk {kiosk} registered at checkpoint {checkpoint}, as configured"),
    "doctor.checkpoint_other": (
        "Cấu hình ghi điểm '{configured}' ([kiosk] checkpoint_id) nhưng trung tâm đăng ký trạm "
        "{kiosk} tại điểm '{registered}': trung tâm sẽ từ chối mọi lượt quét. Sửa "
        "checkpoint_id thành '{registered}' trong {config} rồi khởi động lại trạm, hoặc nếu "
        "trạm thật sự đã chuyển sang '{configured}', nhờ trung tâm đăng ký trạm tại đó "
        "(`kiosk-central kiosks add --checkpoint {configured}`, rồi `kiosk enrol`). Lượt đã bị từ "
        "chối: `kiosk sync retry-rejected --checkpoint {registered}` (docs/sync-operator.md)",
        "The config says checkpoint '{configured}' ([kiosk] checkpoint_id) but the centre has "
        "kiosk {kiosk} registered at '{registered}': the centre will refuse every scan. Set "
        "checkpoint_id to '{registered}' in {config} and restart the kiosk, or, if the kiosk "
        "really moved to '{configured}', have the centre enrol it there (`kiosk-central kiosks "
        "add --checkpoint {configured}`, then `kiosk enrol`). Entries already refused: "
        "`kiosk sync retry-rejected --checkpoint {registered}` (docs/sync-operator.md)"),
    "doctor.kiosk_other": (
        "Mã đồng bộ là của trạm '{registered}' nhưng cấu hình ghi [kiosk] id = '{configured}': "
        "trung tâm sẽ từ chối mọi lô. Sửa id trong {config}, hoặc dùng mã của đúng trạm này",
        "The token is kiosk '{registered}''s but the config says [kiosk] id = '{configured}': "
        "the centre will refuse every batch. Fix the id in {config}, or use this kiosk's own "
        "token"),
    "doctor.registration_unknown": (
        "Trung tâm không cho biết trạm được đăng ký tại điểm nào (phiên bản cũ): không kiểm "
        "tra được [kiosk] checkpoint_id = '{configured}'",
        "The centre does not say which checkpoint this kiosk is registered at (an older "
        "version): [kiosk] checkpoint_id = '{configured}' could not be checked"),
    "doctor.nothing_refused": ("Không có lượt nào bị trung tâm từ chối",
                               "No entry refused by the centre"),
    "doctor.refused_entries": (
        "{count} lượt bị trung tâm từ chối, nằm trong kho chưa gửi được; {most} lượt trong số "
        "đó vì: {reason}. {fix}",
        "{count} entries refused by the centre sit in the store, not delivered; {most} of them "
        "for: {reason}. {fix}"),
    "doctor.refused_fix_checkpoint": (
        "Sửa [kiosk] checkpoint_id thành '{enrolled}' (đúng điểm trung tâm đăng ký), rồi "
        "`kiosk sync retry-rejected --checkpoint {enrolled}` và `kiosk sync push`",
        "Set [kiosk] checkpoint_id to '{enrolled}' (the checkpoint the centre registered), then "
        "`kiosk sync retry-rejected --checkpoint {enrolled}` and `kiosk sync push`"),
    "doctor.refused_fix": (
        "Xem `kiosk sync status`, sửa nguyên nhân, rồi `kiosk sync retry-rejected` và "
        "`kiosk sync push` (docs/sync-operator.md)",
        "See `kiosk sync status`, fix the cause, then `kiosk sync retry-rejected` and "
        "`kiosk sync push` (docs/sync-operator.md)"),
    "doctor.unusable_reason": ("lý do không đọc được", "a reason that cannot be read"),
    "doctor.token_unchecked": (
        "Trung tâm không trả lời khi kiểm tra mã đồng bộ ({detail}): chạy lại kiểm tra sau",
        "The centre did not answer the token check ({detail}): run the doctor again later"),
    "doctor.qt_ok": ("Có PySide6 (giao diện Qt)", "PySide6 (Qt) installed"),
    "doctor.qt_unusable": ("Không dùng được PySide6 ({detail}): cài gói phụ [ui]",
                           "PySide6 unusable ({detail}): install the [ui] extra"),
    "doctor.no_fc_list": ("Không liệt kê được phông chữ (thiếu fc-list): cài fontconfig",
                          "Cannot list the fonts (no fc-list): install fontconfig"),
    "doctor.font_ok": ("Phông chữ tiếng Việt: {family}", "Font with Vietnamese glyphs: {family}"),
    "doctor.no_font": ("Không có phông chữ tiếng Việt: cài fonts-noto-core",
                       "No font with Vietnamese glyphs: install fonts-noto-core"),
    "doctor.no_sound": (
        "Không thấy thiết bị âm thanh: trạm sẽ không kêu bíp (màn hình vẫn báo màu); cắm loa "
        "hoặc bật âm thanh HDMI",
        "No sound device: the kiosk will not beep (the screen still shows colours); plug in a "
        "speaker or enable HDMI audio"),
    "doctor.screen_dpi_set": ("Màn hình: {dpi} điểm/inch theo [kiosk] screen_dpi",
                              "Screen: {dpi} dots per inch from [kiosk] screen_dpi"),
    "doctor.screen_size_ok": ("Màn hình báo kích thước: {sizes}",
                              "Screen reports its size: {sizes}"),
    "doctor.screen_size_unknown": (
        "Màn hình {outputs} không báo kích thước: nút bấm tính theo 96 điểm/inch, có thể nhỏ "
        "hơn 9 mm; đặt [kiosk] screen_dpi (màn 7 inch 800×480: 133)",
        "Screen {outputs} does not report its size: buttons assume 96 dots per inch and may "
        "be under 9 mm; set [kiosk] screen_dpi (a 7-inch 800×480 panel: 133)"),
    "doctor.sound_ok": ("Âm thanh: {card} ({device})", "Sound: {card} ({device})"),
    "doctor.sound_denied": ("Âm thanh {card}: {problem}", "Sound {card}: {problem}"),
    "doctor.tally": ("{passed}/{total} đạt", "{passed}/{total} passed"),
    "doctor.tally_warned": ("{passed}/{total} đạt ({warned} cần xem)",
                            "{passed}/{total} passed ({warned} to look at)"),
    # -- `kiosk enrol`
    "enrol.bad_signing_key": ("Không dùng được khoá ký tệp tồn đọng: {detail}",
                              "The backlog signing key cannot be used: {detail}"),
    "enrol.done": ("Đã đăng ký trạm {kiosk} tại điểm {checkpoint}; cấu hình: {config}",
                   "Kiosk {kiosk} enrolled at checkpoint {checkpoint}; config: {config}"),
    "enrol.link_ok": ("Kết nối trung tâm tốt, mã đồng bộ được chấp nhận",
                      "Link to the centre works, token accepted"),
    "enrol.offline": (
        "Chưa kết nối được trung tâm ({detail}); thử lại sau {seconds} giây",
        "Cannot reach the centre yet ({detail}); retrying in {seconds} s",
    ),
    "enrol.gave_up": (
        "Không kết nối được trung tâm sau {tries} lần; chưa đăng ký. Thử lại khi có mạng",
        "Could not reach the centre after {tries} tries; not enrolled. Try again once online",
    ),
    "enrol.plain_http_screen": (  # the Technician screen: no tick for it, the command
        "{url} là địa chỉ http:// không mã hoá tới một máy khác: mã đăng ký, mã truy cập và "
        "dữ liệu của mọi người sẽ đi qua mạng ở dạng đọc được. Màn hình này không đăng ký "
        "với địa chỉ như vậy; chưa gửi gì, mã vẫn dùng được. Dùng mã có địa chỉ https:// của "
        "trung tâm; chỉ trên mạng tin cậy từ đầu đến cuối (phòng thử nghiệm, VPN): mở cửa sổ "
        "dòng lệnh trên trạm, chạy {command} rồi quét hoặc dán mã vào đó",
        "{url} is a plain http:// address of another machine: the enrolment code, the token "
        "and people's data would cross the network readable. This screen does not enrol at "
        "such an address; nothing was sent, the code still works. Use a code with the "
        "centre's https:// address; only on a network trusted end to end (a lab, a VPN): "
        "open a terminal on the kiosk, run {command} and scan or paste the code into it",
    ),
    "enrol.contacting": ("Đang liên hệ trung tâm {server}…", "Contacting the centre {server}…"),
    "enrol.no_config": ("Trạm chạy không có tệp cấu hình: không lưu được việc đăng ký",
                        "The kiosk runs without a config file: the enrolment cannot be saved"),
    "enrol.config_not_saved": (
        "Đã lưu mã đồng bộ vào {token} (mã đăng ký đã dùng), nhưng không ghi được {config}: "
        "{detail}. Hãy sửa rồi đặt bằng tay trong {config}: {settings}",
        "The token is saved in {token} (the enrolment code is used up), but {config} was not "
        "written: {detail}. Fix that, then set by hand in {config}: {settings}"),
    "enrol.token_not_saved": (
        "Mã đăng ký đã dùng và trung tâm đã ghi nhận trạm này, nhưng không ghi được mã đồng "
        "bộ vào {token} ({detail}): mã đồng bộ không được lưu ở đâu cả. Hãy sửa lỗi đó rồi "
        "xin trung tâm một mã đăng ký mới (mã này không dùng lại được)",
        "The enrolment code is used up and the centre has registered this kiosk, but its "
        "token could not be written to {token} ({detail}): the token is kept nowhere. Fix "
        "that, then ask the centre for a new enrolment code (this one cannot be used again)"),
    "enrol.token_not_handed_over": (
        "Đã lưu mã đồng bộ vào {token} (mã đăng ký đã dùng), nhưng không giao được tệp cho "
        "tài khoản của trạm ({detail}). Hãy đổi chủ tệp sang chủ của thư mục chứa nó "
        "(chown), rồi đặt bằng tay trong {config}: {settings}",
        "The token is saved in {token} (the enrolment code is used up), but the file could "
        "not be given to the kiosk's account ({detail}). Give it to the owner of its folder "
        "(chown), then set by hand in {config}: {settings}"),
    "enrol.centre_key_not_saved": (
        "Trạm đã được đăng ký (mã đồng bộ ở {token}, đã ghi {config}), nhưng không lưu được "
        "khoá tệp tồn đọng của trung tâm vào {file} ({detail}): khoá còn ở đó là khoá cũ, nên "
        "tệp tồn đọng sẽ bị niêm phong bằng khoá đó và lần liên hệ tới trung tâm sẽ bị coi là "
        "khoá đã đổi. Hãy xoá {file} (trạm sẽ nhận khoá của trung tâm ở lần liên hệ tới), rồi "
        "khởi động lại trạm",
        "The kiosk is enrolled (token in {token}, {config} written), but the centre's backlog "
        "key could not be saved in {file} ({detail}): the key kept there is the previous one, "
        "so backlog files would be sealed to it and the centre's next answer taken for a "
        "changed key. Delete {file} (the kiosk then learns the centre's key at its next "
        "contact), then restart the kiosk"),
    "enrol.token_not_file": (
        "{path}: đây là {kind}, không phải tệp: không ghi được mã đồng bộ vào đó (dời nó đi, "
        "hoặc chọn tệp khác bằng `kiosk enrol --token-file`)",
        "{path}: this is {kind}, not a file: the token cannot be written there (move it away, "
        "or choose another file with `kiosk enrol --token-file`)"),
    "enrol.not_saved": ("Đã nhận mã đồng bộ nhưng chưa lưu được cấu hình: {detail}",
                        "Token received but the config was not saved: {detail}"),
    "enrol.not_applied": (
        "Đã lưu việc đăng ký, nhưng trạm đang chạy không chuyển sang được ({detail}): trạm vẫn "
        "nhận lượt quét theo cấu hình cũ; hãy sửa lỗi đó rồi khởi động lại trạm",
        "The enrolment is saved, but the running kiosk could not switch to it ({detail}): it "
        "goes on taking scans with its previous settings; fix that, then restart the kiosk"),
    "config.not_applied": (
        "Đã lưu vào {path}, nhưng trạm đang chạy không chuyển sang được ({detail}): trạm vẫn "
        "nhận lượt quét theo cấu hình cũ; hãy sửa lỗi đó rồi lưu lại hoặc khởi động lại trạm",
        "Saved to {path}, but the running kiosk could not switch to it ({detail}): it goes on "
        "taking scans with its previous settings; fix that, then save again or restart the "
        "kiosk"),
    "config.kiosk_stopping": (
        "trạm đang dừng: cấu hình đã lưu được dùng từ lần khởi động sau",
        "the kiosk is stopping: the saved config is used from its next start"),
    "config.store_moved": (
        "kho dữ liệu chỉ đổi từ {old} sang {new} khi khởi động lại trạm: trước đó hãy gửi "
        "các lượt còn chờ trong kho cũ từ màn hình đồng bộ, hoặc tắt trạm rồi chuyển tệp đó "
        "sang chỗ mới; xem docs/technician.md, mục “Chuyển kho dữ liệu”",
        "the store changes from {old} to {new} only at a restart: first send the entries "
        "still waiting in the old store from the sync screen, or stop the kiosk and move "
        "that file there; see docs/technician.md, “Moving the store”"),
    "enrol.linked": ("Trạm {kiosk} · điểm {checkpoint} · trung tâm {server}",
                     "Kiosk {kiosk} · checkpoint {checkpoint} · centre {server}"),
    "enrol.not_linked": ("Chưa kết nối với trung tâm nào", "Not linked to a centre"),
    "enrol.pending_left_behind": (
        "Trạm còn {count} bản ghi chưa gửi của trạm {kiosks}; mã này là của trạm {new}, mã "
        "đồng bộ của nó sẽ không gửi được chúng. Nên xin trung tâm cấp mã mới cho chính trạm "
        "{old}: `kiosk-central kiosks token {old} --reason … --qr …` (giữ nguyên mã trạm), "
        "hoặc gửi hết trước. Nếu vẫn đổi sang {new}, chúng chỉ về được trung tâm bằng tệp "
        "(`kiosk sync export --kiosk-id {first}`). Mã đăng ký chưa bị dùng",
        "This kiosk still holds {count} unsent entries of kiosk {kiosks}; the code is for "
        "kiosk {new}, whose token cannot send them. Better: ask the centre for a new token "
        "for this same kiosk {old}: `kiosk-central kiosks token {old} --reason … --qr …` (the "
        "id is kept), or send them first. Become {new} anyway, and they reach the centre only "
        "in a file (`kiosk sync export --kiosk-id {first}`). The code is still unused"),
    "enrol.leave_pending_hint": ("Nếu vẫn đổi, chạy lại với --leave-pending",
                                 "To change anyway, run again with --leave-pending"),
    "enrol.pending_unenrolled": (
        "Trạm còn {count} bản ghi chưa gửi của mã trạm {kiosks}: không phải mã đã cấu hình "
        "của trạm này và không có ghi nhận nào cho thấy đã đăng ký ở đây. Nếu là lượt quét "
        "thử, xoá trước: `kiosk sync discard-unenrolled --kiosk-id {first} --reason …`; nếu "
        "{first} là mã trạm thật, gửi bằng mã đồng bộ của nó (`kiosk sync push --kiosk-id "
        "{first} --token-file TỆP`) hoặc xuất ra tệp; muốn giữ chúng, chạy lại với "
        "--leave-pending. Mã đăng ký chưa bị dùng",
        "This kiosk still holds {count} unsent entries of kiosk id {kiosks}: not this kiosk's "
        "configured id, and no record shows it enrolled here. If they are test scans, delete "
        "them first: `kiosk sync discard-unenrolled --kiosk-id {first} --reason …`; if "
        "{first} is a real kiosk id, send them with its token (`kiosk sync push --kiosk-id "
        "{first} --token-file FILE`) or export them; to keep them, run again with "
        "--leave-pending. The code is still unused"),
    "enrol.replays_off": (
        "Đã tắt thiết bị phát lại (chúng đọc mã từ tệp, không phải người qua chốt): {devices}",
        "Replay devices turned off (they play codes from a file, not people at the "
        "checkpoint): {devices}"),
    "enrol.title_cut": (
        "Tên trạm ở trung tâm dài {length} ký tự: tiêu đề màn hình chỉ giữ {kept} ký tự đầu "
        '("{title}"); muốn tiêu đề khác thì đặt [kiosk] checkpoint_name trong cấu hình',
        "The kiosk's name at the centre is {length} characters long: the screen's title keeps "
        'its first {kept} ("{title}"); for another title, set [kiosk] checkpoint_name in the '
        "config"),
    "enrol.leave_pending_button": ("Vẫn đăng ký thành trạm {kiosk}",
                                   "Enrol as kiosk {kiosk} anyway"),
    "enrol.switch_hint": ("Nếu đúng, chạy lại với --switch-centre",
                          "If so, run again with --switch-centre"),
    "enrol.other_centre": (
        "Mã này trỏ tới trung tâm khác ({server}); trạm đang gửi về {current}. Chỉ chuyển "
        "nếu trung tâm cấp mã cho đúng trạm này: các lượt chưa gửi sẽ gửi về trung tâm mới",
        "This code points at another centre ({server}); the kiosk sends to {current}. Switch "
        "only if the centre made it for this kiosk: unsent entries will go to the new centre"),
    "enrol.refused": ("Trung tâm từ chối mã đăng ký: {detail}",
                      "The centre refused the enrolment code: {detail}"),
    "enrol.link_failed": ("Kiểm tra kết nối tới trung tâm không thành công: {detail}",
                          "The link test to the centre failed: {detail}"),
    "enrol.bad_code": ("Mã đăng ký không hợp lệ: {detail}", "Not a valid enrolment code: {detail}"),
    "enrol.camera_failed": (
        "Không đọc được mã đăng ký từ camera {source}: {detail}. Xem các camera bằng `kiosk "
        "devices`, hoặc chạy `kiosk enrol --code -` rồi quét mã bằng máy quét (hay dán mã)",
        "Cannot read the enrolment code from camera {source}: {detail}. See the cameras with "
        "`kiosk devices`, or run `kiosk enrol --code -` and scan the code with a scanner (or "
        "paste it)"),
    # -- kinds of code
    "kind.cccd": ("CCCD", "Citizen ID"),
    "kind.pccovid": ("PC-Covid", "PC-Covid"),
    "kind.hc1": ("Chứng nhận tiêm chủng", "Vaccination certificate"),
    "kind.manual": ("Khai báo thủ công", "Manual entry"),
    "kind.other": ("Mã khác", "Other code"),
    # -- the sync worker's alerts and reasons, and `kiosk sync`
    "sync.no_token": (
        "Chưa có mã đồng bộ: đặt [sync] token hoặc token_file (cấp bằng `kiosk-central kiosks "
        "add`)",
        "No sync token: set [sync] token or token_file (issued by `kiosk-central kiosks add`)",
    ),
    "sync.auth_401": (
        "Máy chủ trung tâm từ chối mã đồng bộ của trạm ({detail}); đã ngừng tải lên. Trung tâm "
        "cấp mã mới cho chính trạm này bằng `kiosk-central kiosks token {kiosk} --reason …` "
        "(hoặc --qr để trạm chạy `kiosk enrol`), ghi mã mới vào {setting} rồi gửi lại (nút "
        "Đồng bộ trên màn hình đồng bộ, hoặc `kiosk sync push`)",
        "The centre refused this kiosk's token ({detail}); uploads stopped. The centre issues "
        "this same kiosk a new one with `kiosk-central kiosks token {kiosk} --reason …` (or "
        "--qr, for `kiosk enrol` here); put it in {setting}, then send again (Sync now on the "
        "sync screen, or `kiosk sync push`)",
    ),
    "sync.auth_403": (
        "Máy chủ trung tâm từ chối: dữ liệu không thuộc trạm được cấp mã này ({detail}); đã ngừng "
        "tải lên. Kiểm tra [kiosk] id và {setting}",
        "The centre refused entries that are not this token's kiosk's ({detail}); uploads "
        "stopped. Check [kiosk] id and {setting}",
    ),
    "sync.refused": (
        "Máy chủ trung tâm không nhận yêu cầu ({detail}); có thể phiên bản phần mềm không khớp. "
        "Sẽ thử lại thưa hơn",
        "The centre refuses our uploads ({detail}); the software versions may not match. Retrying "
        "rarely",
    ),
    "sync.too_large": (
        "Bản ghi quá lớn để máy chủ nhận ({detail})",
        "Entry too large for the centre to take ({detail})",
    ),
    "sync.stopped": (
        "Trạm đang tắt; phần còn lại vẫn chờ gửi",
        "The kiosk is shutting down; the rest stays pending",
    ),
    "sync.store_refused": (
        "Đã ngừng gửi lên trung tâm sau một lượt gửi cuối: kho dữ liệu không ghi được "
        "({detail}), nên không lưu được trả lời của trung tâm và các lượt quét sẽ bị gửi đi "
        "gửi lại; việc gửi tiếp tục khi khởi động lại trạm",
        "Uploads stopped after one last pass: the store takes no writes ({detail}), so the "
        "centre's answers cannot be kept and the same entries would be sent again and again; "
        "uploads go on once the kiosk restarts",
    ),
    "sync.store_paused": (
        "Tạm ngừng gửi lên trung tâm sau một lượt gửi cuối: kho dữ liệu không ghi được "
        "({detail}), nên không lưu được trả lời của trung tâm và các lượt quét sẽ bị gửi đi "
        "gửi lại; việc gửi tự tiếp tục khi kho dữ liệu ghi được trở lại",
        "Uploads paused after one last pass: the store takes no writes ({detail}), so the "
        "centre's answers cannot be kept and the same entries would be sent again and again; "
        "uploads go on by themselves once the store takes writes again",
    ),
    "sync.unencodable": (
        "Trạm không mã hoá được bản ghi ({detail})",
        "The kiosk could not encode this entry ({detail})",
    ),
    "sync.pending": ("Chờ gửi", "Pending"),
    "sync.exported": ("  trong đó đã xuất ra tệp", "  of which exported to a file"),
    "sync.rejected": ("Bị từ chối", "Rejected"),
    "sync.oldest": ("Cũ nhất chờ gửi", "Oldest pending"),
    "sync.last_success": ("Gửi thành công lần cuối", "Last success"),
    "sync.last_answer": ("Nạp trả lời tệp lần cuối", "Last file answer loaded"),
    "sync.last_answer_state": (  # kiosk sync status: a stick's round trip
        "{when}: trung tâm có {held} lượt của tệp đó",
        "{when}: the centre holds {held} entries of that file"),
    "sync.last_error": ("Lỗi gần nhất", "Last error"),
    "sync.error_resolved": ("{when}, đã hết (một lần gửi sau đó đã thành công): {error}",
                            "{when}, resolved since (a later upload succeeded): {error}"),
    "sync.alert": ("CẢNH BÁO", "ALERT"),
    "sync.server": ("Máy chủ", "Server"),
    "sync.reachable": ("kết nối được", "reachable"),
    "sync.unreachable": ("không kết nối được", "unreachable"),
    "sync.not_contacted": ("không liên lạc (cấu hình chặn): {reason}",
                           "not contacted (the config forbids it): {reason}"),
    "sync.clock": ("Lệch đồng hồ trạm", "Kiosk clock offset"),
    "sync.backlog_keys": ("Khoá tệp tồn đọng", "Backlog file keys"),
    "sync.backlog_keys_state": ("trạm {own} ({registered}), trung tâm {centre}",
                                "this kiosk {own} ({registered}), centre {centre}"),
    "sync.key_registered": ("trung tâm đã nhận", "held by the centre"),
    "sync.key_unconfirmed": ("trung tâm chưa xác nhận", "not confirmed by the centre"),
    "sync.ago": ("{ago} trước", "{ago} ago"),
    "sync.later_than_clock": ("muộn hơn giờ đồng hồ trạm đang chỉ",
                              "later than the kiosk's clock reads now"),
    "sync.clock_wrong_then": ("không rõ đã bao lâu: đồng hồ trạm chỉ sai lúc ghi",
                              "age unknown: the kiosk's clock was wrong when it recorded this"),
    "sync.never": ("chưa bao giờ", "never"),
    "sync.none": ("không có", "none"),
    "sync.sync_disabled": (
        "(đồng bộ nền đang tắt: [sync] enabled = false)",
        "(background sync is off: [sync] enabled = false)",
    ),
    "sync.push_done": (
        "Đã gửi {done} bản ghi trong {seconds:.1f} giây: {accepted} mới, {duplicate} trung tâm đã "
        "có, {rejected} bị từ chối; còn {remaining} chờ gửi",
        "Sent {done} entries in {seconds:.1f} s: {accepted} new, {duplicate} already at the "
        "centre, {rejected} rejected; {remaining} still pending",
    ),
    "sync.filed_at_arrival": (
        "{count} lượt có giờ quét muộn hơn lúc tới trung tâm (đồng hồ trạm từng chạy nhanh): "
        "trung tâm đã nhận, ghi vào lúc tới, giờ quét không chắc chắn — cho đồng hồ trạm "
        "theo NTP (`sudo timedatectl set-ntp true`)",
        "{count} entries dated after they reached the centre (the kiosk's clock ran ahead): "
        "the centre holds them, filed when they arrived, their scan time uncertain — set the "
        "kiosk's clock to follow NTP (`sudo timedatectl set-ntp true`)"),
    "sync.past_retention": (  # also kiosk-central import's
        "{count} lượt cũ hơn mốc lưu giữ ({cutoff}): không lưu, không tính",
        "{count} entries older than the retention cut ({cutoff}): not stored, not counted"),
    "sync.past_retention_title": ("Quá mốc lưu giữ", "Past retention"),
    "sync.past_retention_saved": (  # kiosk sync status, the sync screen: what stays untold;
        # {at} saved as UTC text, shown as the times beside it (status.past_retention_text)
        "{count} lượt đã gửi cũ hơn mốc lưu giữ của trung tâm ({cutoff}), trung tâm không lưu; "
        "lần gần nhất lúc {at}",
        "{count} entries sent older than the centre's retention cut ({cutoff}), not stored "
        "there; the last at {at}"),
    "sync.push_failed": ("Chưa gửi hết: {error}", "Not everything was sent: {error}"),
    "sync.until_done_sent": (
        "Thiết bị đã xong; đã gửi hết lên trung tâm ({count} lượt)",
        "Devices done; everything sent to the centre ({count} entries)",
    ),
    "sync.until_done_unsent": (
        "Thiết bị đã xong nhưng còn {count} lượt chưa gửi được: {error}. Chúng vẫn được giữ "
        "trong kho và sẽ gửi lần chạy sau (hoặc: kiosk sync push)",
        "Devices done, but {count} entries could not be sent: {error}. They stay in the "
        "store and will be sent by the next run (or: kiosk sync push)",
    ),
    "sync.nothing_pending": ("Không có bản ghi nào chờ gửi", "Nothing pending"),
    "cli.max_wait_needs_until_done": (
        "--max-wait đi cùng --until-done: đồng bộ chạy nền vẫn chờ đúng như trung tâm yêu cầu",
        "--max-wait goes with --until-done: the background sync waits as long as the centre "
        "asks"),
    "sync.push_other_needs_both": (
        "--kiosk-id và --token-file đi cùng nhau: mã trạm kia và mã đồng bộ của nó",
        "--kiosk-id and --token-file go together: the other kiosk id and its token"),
    "sync.push_token_unreadable": ("{path}: không đọc được mã đồng bộ ({reason})",
                                   "{path}: cannot read the token ({reason})"),
    "sync.nothing_pending_of": ("Không có bản ghi nào của trạm {kiosk} chờ gửi",
                                "Nothing of kiosk {kiosk} pending"),
    "sync.pending_elsewhere": (
        "{count} bản ghi chờ gửi được ghi dưới mã trạm khác: {kiosks}. Mã đồng bộ của trạm này "
        "không gửi được chúng (trạm đã đăng ký lại với mã mới?), nên chúng không chặn bản ghi "
        "mới. Gửi chúng qua mạng với mã đồng bộ của trạm đó (trung tâm: `kiosk-central kiosks "
        "token {first} --reason …`; tại đây: `kiosk sync push --kiosk-id {first} --token-file "
        "TỆP`), hoặc mang tệp về: `kiosk sync export --kiosk-id {first} --to TỆP`, rồi "
        "`kiosk-central import TỆP`, rồi nạp tệp trả lời ở đây: `kiosk sync load-refusals "
        "TỆP.refused`",
        "{count} pending entries were recorded under another kiosk id: {kiosks}. This kiosk's "
        "token cannot send them (enrolled again under a new id?), so they hold back no new "
        "entry. Send them with that kiosk's token (at the centre: `kiosk-central kiosks token "
        "{first} --reason …`; here: `kiosk sync push --kiosk-id {first} --token-file FILE`), "
        "or carry a file: `kiosk sync export --kiosk-id {first} --to FILE`, then "
        "`kiosk-central import FILE`, then load its answer here: `kiosk sync load-refusals "
        "FILE.refused`"),
    "sync.retried_checkpoint": (
        "{count} bản ghi bị từ chối vì sai điểm kiểm soát đã được chuyển sang điểm {checkpoint} "
        "và đưa lại vào hàng chờ gửi (điểm cũ của từng bản ghi ghi trong nhật ký kiểm toán); "
        "chạy `kiosk sync push`, hoặc ở điểm không có mạng thì xuất lại chúng ra tệp (`kiosk "
        "sync export --to TỆP`)",
        "{count} entries refused for another checkpoint are filed under {checkpoint} and "
        "pending again (each one's former checkpoint is in the audit log); run "
        "`kiosk sync push`, or at a site with no network export them again (`kiosk sync "
        "export --to FILE`)"),
    "sync.retry_checkpoint_not_configured": (
        "Không đổi gì: --checkpoint {given} khác [kiosk] checkpoint_id = '{configured}' trong "
        "{config}. Sửa checkpoint_id trước (đúng điểm trung tâm đăng ký trạm, xem `kiosk "
        "doctor`), rồi chạy lại",
        "Nothing changed: --checkpoint {given} is not [kiosk] checkpoint_id = '{configured}' "
        "in {config}. Fix checkpoint_id first (the checkpoint the centre registered the "
        "kiosk at, see `kiosk doctor`), then run this again"),
    "sync.resent": (
        "{count} bản ghi trung tâm đã xác nhận từ {since} đã được đưa lại vào hàng chờ gửi: "
        "lần gửi tới (`kiosk sync push`) gửi lại chúng; bản ghi trung tâm còn giữ được báo "
        "\"đã có ở trung tâm\", bản ghi trung tâm đã mất được lưu lại",
        "{count} entries the centre acknowledged since {since} are pending again: the next "
        "push (`kiosk sync push`) sends them again; those the centre still holds come back "
        "\"already at the centre\", those it lost are stored again"),
    "sync.resend_clock_behind": (
        "Đồng hồ trạm này chậm hơn trung tâm {seconds} giây ở lần gửi gần nhất: giờ xác nhận "
        "ghi theo đồng hồ trạm, nên --since được lùi lại bấy nhiêu để không sót bản ghi nào",
        "This kiosk's clock was {seconds} s behind the centre's at the last upload: the "
        "acknowledgements carry this kiosk's time, so --since is moved back as much, to "
        "miss none"),
    "sync.still_refused": (
        "{count} bản ghi vẫn bị từ chối: xem `kiosk sync status`",
        "{count} entries are still refused: see `kiosk sync status`"),
    "sync.push_left_refused": (
        "{count} bản ghi bị trung tâm từ chối vẫn nằm trong kho, chưa tới trung tâm và sẽ không "
        "tự gửi lại: xem lý do bằng `kiosk sync status`, sửa, rồi `kiosk sync retry-rejected` "
        "(docs/sync-operator.md)",
        "{count} entries the centre refused sit in the store, not at the centre, and are not "
        "sent again by themselves: see why with `kiosk sync status`, fix it, then `kiosk sync "
        "retry-rejected` (docs/sync-operator.md)"),
    "sync.retried": (
        "{count} bản ghi bị từ chối đã được đưa lại vào hàng chờ gửi",
        "{count} rejected entries are pending again",
    ),
    "sync.export_done": (
        "Đã xuất {entries} bản ghi ra {path} ({size} byte); chúng vẫn chờ gửi cho tới khi nạp "
        "tệp trả lời của trung tâm cho tệp này (`kiosk sync load-refusals`) hoặc trung tâm "
        "nhận chúng qua mạng",
        "Exported {entries} entries to {path} ({size} bytes); they stay pending until the "
        "centre's answer to the file is loaded here (`kiosk sync load-refusals`) or the centre "
        "receives them over the network",
    ),
    "sync.export_failed": ("Không xuất được tệp: {error}", "Export failed: {error}"),
    "sync.export_refused_at_centre": ("Chú ý: {problem}", "Note: {problem}"),
    "sync.export_not_marked": (
        "Đã ghi {entries} lượt vào {path}; tệp tốt: hãy giữ tệp và mang tới trung tâm để nhập "
        "(có thể là bản duy nhất của các lượt này). Kho dữ liệu không đánh dấu được các lượt "
        "này là đã xuất ({why}), nên chúng vẫn chờ gửi",
        "{entries} entries written to {path}; the file is good: keep it and carry it to the "
        "centre to import (it may be the only copy of these entries). The store could not mark "
        "them exported ({why}), so they stay pending",
    ),
    "sync.export_unrecorded": (
        "Đã ghi {entries} lượt vào {path}; tệp tốt: hãy mang tới trung tâm để nhập (có thể là "
        "bản duy nhất của các lượt này). Nhưng tệp này đã được xuất mà bản ghi việc xuất bị "
        "dở ({why}), nên không nạp được câu trả lời của trung tâm cho nó ở đây: khi kho ghi "
        "được trở lại, hãy xuất lại; các lượt vẫn chờ gửi",
        "{entries} entries written to {path}; the file is good: carry it to the centre to "
        "import (it may be the only copy of these entries). But this file was exported, its "
        "record was cut short ({why}), so the centre's answer to it cannot be loaded here: "
        "once the store takes writes again, export again; the entries stay pending"),
    "sync.export_key_unknown": (
        "Chú ý: ở đây không biết trung tâm có giữ khoá ký của máy này cho trạm {kiosk} hay "
        "không (trạm này kết nối là {own}): nếu trung tâm từ chối tệp vì khoá, quản trị viên "
        "chạy `kiosk-central kiosks signing-key {kiosk} --set={public} --reason …` (khoá ở "
        "{key})",
        "Note: whether the centre holds this machine's signing key for kiosk {kiosk} is not "
        "known here (this kiosk connects as {own}): if the centre refuses the file for its "
        "key, an administrator runs `kiosk-central kiosks signing-key {kiosk} "
        "--set={public} --reason …` (key in {key})"),
    "sync.export_key_unconfirmed": (
        "Chú ý: trung tâm chưa xác nhận khoá ký của trạm này, nên sẽ từ chối tệp cho tới khi "
        "trạm kết nối một lần, hoặc quản trị viên chạy `kiosk-central kiosks signing-key "
        "{kiosk} --set={public} --reason …` (khoá ở {key})",
        "Note: the centre has not confirmed this kiosk's signing key, so it will refuse the "
        "file until the kiosk connects once, or an administrator runs `kiosk-central kiosks "
        "signing-key {kiosk} --set={public} --reason …` (key in {key})"),
    # -- devices: states, errors and advice for the technician (worded in both languages;
    # a label such as "device.error" goes before a detail already worded or technical)
    "device.missing_library": (
        "Hỗ trợ máy quét cần {name}: cài bằng `make install` (phần mở rộng pip: devices)",
        "Scanner support needs {name}: install it with `make install` (pip extra: devices)"),
    "device.enrolment_hidden": (
        "({count} lần đọc của một mã đăng ký trạm bị ẩn: mã bí mật dùng một lần không hiển thị, "
        "không lưu)",
        "({count} reads of a kiosk enrolment code hidden: its one-time secret is neither shown "
        "nor saved)"),
    "device.not_found": (
        "chưa thấy {what} — đã cắm máy quét chưa?",
        "{what} not found — is the scanner plugged in?",
    ),
    "device.what.serial_usb": ("cổng nối tiếp USB {spec}", "serial port usb {spec}"),
    "device.what.input_usb": ("thiết bị nhập USB {spec}", "input device usb {spec}"),
    "device.what.input_name": ('thiết bị nhập tên "{pattern}"',
                               'input device named "{pattern}"'),
    "device.what.hidraw_usb": ("thiết bị HID USB {spec}", "hidraw usb {spec}"),
    "device.ambiguous": (
        "có {count} thiết bị khớp {what} ({paths}): ghi thêm số serial hoặc dùng đường dẫn by-id",
        "{count} devices match {what} ({paths}): add the serial number or use the by-id path",
    ),
    "device.hidraw_needs_path": ("thiết bị hidraw cần path hoặc usb",
                                 "a hidraw device needs path or usb"),
    "device.no_such_path": ("{path} không tồn tại", "{path} does not exist"),
    "device.permission_group": (
        "không có quyền mở {shown}; thêm người dùng {user} vào nhóm {group}: {fix} rồi khởi "
        "động lại trạm: sudo systemctl restart checkpoint-kiosk (trạm chạy trong phiên đăng "
        "nhập của bạn: đăng xuất rồi đăng nhập lại)",
        "permission denied on {shown}; add user {user} to group {group}: {fix}, then restart "
        "the kiosk: sudo systemctl restart checkpoint-kiosk (a kiosk run from your own login: "
        "log out and in again)",
    ),
    "device.permission_udev": (
        "không có quyền mở {shown}; cài luật udev: {fix}",
        "permission denied on {shown}; install the udev rule: {fix}",
    ),
    "device.in_use": (
        "{path} đang được chương trình khác dùng (kiosk đang chạy?)",
        "{path} is in use by another program (is the kiosk running?)",
    ),
    "device.grabbed": (
        "{path} đang bị chương trình khác giữ độc quyền (kiosk đang chạy?)",
        "{path} is grabbed by another program (is the kiosk running?)",
    ),
    "device.lost": ("mất kết nối với {path} (rút cáp?)", "lost {path} (unplugged?)"),
    "device.went_away": ("{path} vừa bị rút ra", "{path} went away"),
    "device.cannot_open": ("không mở được {path}: {reason}", "cannot open {path}: {reason}"),
    "device.unplugged": ("{path} đã bị rút ra", "{path} was unplugged"),
    "device.plug_in": (
        "Cắm máy quét vào; thiết bị sẽ tự được nhận khi cắm lại",
        "Plug the scanner in; it is picked up automatically when it appears",
    ),
    "device.keyboard_no_vietnamese": (
        "Chế độ bàn phím không mang được chữ tiếng Việt: nên dùng USB-COM hoặc HID POS cho CCCD",
        "Keyboard mode cannot carry Vietnamese letters: prefer USB-COM or HID POS for CCCD",
    ),
    "device.ttyacm_renumbered": (
        "Cổng /dev/ttyACM* có thể đổi số khi cắm lại: dùng đường dẫn /dev/serial/by-id/… hoặc "
        "usb = \"VID:PID\"",
        "/dev/ttyACM* may be renumbered on re-plug: use the /dev/serial/by-id/… path or "
        "usb = \"VID:PID\"",
    ),
    "device.watch_unknown": (
        "không biết {path} là loại thiết bị nào: hãy xem một thiết bị đã cấu hình",
        "cannot tell what kind of device {path} is: watch a configured device instead",
    ),
    "device.watch_no_such_device": (
        "không có thiết bị '{target}' trong {config} (có: {devices})",
        "no device '{target}' in {config} (configured: {devices})",
    ),
    "device.watch_config_unreadable": (
        "không dùng được tệp cấu hình ({reason}): ngày trên CCCD được kiểm tra theo múi giờ "
        "{zone}",
        "cannot use the config ({reason}): a CCCD's dates are checked in the {zone} zone",
    ),
    "device.watch_cannot": (
        "không xem trực tiếp được thiết bị loại {kind} (xem được {kinds} và tệp ghi lại; "
        "camera: dùng màn hình kỹ thuật)",
        "cannot watch a {kind} device here (watch works for {kinds} and captures; cameras: "
        "use the technician screen)",
    ),
    "device.no_suggestions": ("Không có gợi ý: cấu hình có vẻ đúng",
                              "No suggestions: the settings look right"),
    "device.section.serial": ("Cổng nối tiếp (USB-COM, RS-232)",
                              "Serial ports (USB-COM, RS-232)"),
    "device.section.evdev": ("Máy quét chế độ bàn phím (evdev)",
                             "Keyboard-mode scanners (evdev)"),
    "device.section.hidraw": ("Thiết bị HID (hidraw, HID POS)", "HID nodes (hidraw, HID POS)"),
    "device.section.camera": ("Camera (/dev/video*)", "Cameras (/dev/video*)"),
    "device.builtin_serial": ("cổng COM trên máy", "built-in serial port"),
    "device.looks_like_scanner": ("có vẻ là máy quét", "looks like a scanner"),
    "device.udev_rule_add": ("máy quét chưa có trong luật thì thêm bằng lệnh",
                             "a scanner not in the rule is added with"),
    "device.udev_rule_add_if_scanner": (
        "chỉ khi đây đúng là máy quét (tên nó không nói vậy; một bàn phím được thêm thì trạm "
        "đọc được mọi phím gõ trên đó, cả mật khẩu) thì thêm bằng lệnh",
        "only if this is the scanner (its name does not say so; a keyboard added so is read "
        "by the kiosk, every key typed on it, passwords too), add it with"),
    "device.permission_udev_add_if_scanner": (
        "không có quyền mở {shown}; chỉ khi đây đúng là máy quét (tên nó không nói vậy; một bàn "
        "phím được thêm thì trạm đọc được mọi phím gõ trên đó, cả mật khẩu) thì thêm nó vào "
        "luật udev {rules}: {fix}, rồi rút và cắm lại máy quét",
        "permission denied on {shown}; only if this is the scanner (its name does not say so; "
        "a keyboard added so is read by the kiosk, every key typed on it, passwords too), add "
        "it to the udev rule {rules}: {fix}, then unplug and re-plug the scanner"),
    "device.permission_udev_add": (
        "không có quyền mở {shown}; máy quét chưa có trong luật udev {rules}, thêm nó: {fix}, "
        "rồi rút và cắm lại máy quét",
        "permission denied on {shown}; the scanner is not in the udev rule {rules}, add it: "
        "{fix}, then unplug and re-plug the scanner"),
    "device.none_found": ("không tìm thấy", "none found"),
    "device.class_absent": ("không có", "not present"),
    "device.configured_as": ("đã cấu hình: {id}", "configured as: {id}"),
    "device.paste_snippet": (
        "Dán đoạn cấu hình vào config.toml, rồi thử: kiosk devices watch <id>",
        "Paste a snippet into config.toml, then test it: kiosk devices watch <id>",
    ),
    "device.watching": ("đang xem {id} ({type}) {where} — Ctrl-C để dừng",
                        "watching {id} ({type}) {where} — Ctrl-C to stop"),
    "device.scans_seen": ("{count} lượt quét", "{count} scan(s)"),
    "device.capture_saved": ("đã lưu bản ghi: {path}", "capture saved: {path}"),
    "device.error": ("lỗi thiết bị", "device error"),
    "camera.scan": ("quét", "scan"),
    "camera.stats": (
        "{state}: {size}, thu {capture} hình/s, giải mã {decode} hình/s, {ms} ms/hình, "
        "{frames} hình",
        "{state}: {size}, capture {capture} fps, decode {decode} fps, {ms} ms/frame, "
        "{frames} frames",
    ),
    "camera.no_frame": ("chưa có hình", "no frame"),
    "camera.state.opening": ("đang mở", "opening"),
    "camera.state.running": ("đang chạy", "running"),
    "camera.state.ended": ("đã kết thúc", "ended"),
    "camera.state.stopped": ("đã dừng", "stopped"),
    "camera.state.error": ("lỗi", "error"),
    "camera.last_read": ("đọc lần cuối: {read}", "last read: {read}"),
    "camera.picture_age": ("hình cũ {seconds} giây", "picture {seconds} s old"),
    "camera.preview_saved": ("đã lưu ảnh xem trước vào {path}", "preview saved to {path}"),
    "camera.error": ("lỗi camera", "camera error"),
    "camera.not_found": ("không tìm thấy camera tại {source}", "no camera at {source}"),
    "camera.no_file": ("không có tệp video {source}", "no video file at {source}"),
    "camera.cannot_open": (
        "không mở được {source}: OpenCV không đọc được tệp video hay luồng này",
        "cannot open {source}: OpenCV cannot read this video file or stream"),
    "camera.no_permission": (
        "không có quyền mở camera {source}: thêm tài khoản {user} vào nhóm video: sudo usermod "
        "-aG video {user}, rồi khởi động lại trạm: sudo systemctl restart checkpoint-kiosk",
        "permission denied on camera {source}: add account {user} to group video: sudo "
        "usermod -aG video {user}, then restart the kiosk: sudo systemctl restart "
        "checkpoint-kiosk"),
    "camera.busy": (
        "camera {source} đang được chương trình khác dùng (xem chương trình nào: fuser -v "
        "{source}); đóng chương trình đó — nếu là trạm đang chạy: sudo systemctl stop "
        "checkpoint-kiosk",
        "camera {source} is in use by another program (see which: fuser -v {source}); close "
        "it — the running kiosk: sudo systemctl stop checkpoint-kiosk"),
    "camera.cannot_start": (
        "mở được {source} nhưng camera không chạy: có thể chương trình khác đang dùng nó (xem "
        "chương trình nào: fuser -v {source}; nếu là trạm đang chạy: sudo systemctl stop "
        "checkpoint-kiosk), hoặc đây không phải nút quay hình của camera (kiosk devices liệt "
        "kê các camera)",
        "{source} opens but the camera does not start: another program may be using it (see "
        "which: fuser -v {source}; the running kiosk: sudo systemctl stop checkpoint-kiosk), "
        "or it is not the camera's capture node (kiosk devices lists the cameras)"),
    "camera.open_failed": ("không mở được camera {source}: {reason}",
                           "cannot open camera {source}: {reason}"),
    "camera.read_failed": ("lỗi đọc camera: {detail}", "camera read failed: {detail}"),
    "camera.stopped": ("camera ngừng gửi hình (bị rút ra?)",
                       "camera stopped sending frames (unplugged?)"),
    # -- capture files and their replay (kiosk/devices/captures.py, replay.py)
    "capture.cannot_capture": ("không ghi lại được thiết bị loại {kind} (ghi được: {kinds})",
                               "cannot capture a {kind} device (captures: {kinds})"),
    "capture.unknown_type": ("không có loại sự kiện tên {token}",
                             "unknown event type name {token}"),
    "capture.unknown_code": ("không có mã sự kiện tên {token}",
                             "unknown event code name {token}"),
    "capture.expected_event": ("cần: thời gian, loại, mã, giá trị",
                               "expected: time type code value"),
    "capture.expected_chunk": ("cần: thời gian và các byte hex",
                               "expected: time and hex bytes"),
    "capture.bad_line": ("{where}: {problem}", "{where}: {problem}"),
    "capture.bad_hex": ("{value} không phải các byte hex: {problem}",
                        "{value} is not hex bytes: {problem}"),
    "capture.bad_number": ("{value} không phải một số nguyên viết bằng tối đa {digits} chữ số",
                           "{value} is not a whole number written in at most {digits} digits"),
    "hex.bad_character": ("ký tự {char} ở vị trí {position} không phải chữ số hex (0-9, a-f)",
                          "the character {char} at position {position} is not a hex digit "
                          "(0-9, a-f)"),
    "hex.lone_digit": (
        "chữ số hex ở vị trí {position} thiếu chữ số thứ hai: mỗi byte là hai chữ số",
        "the hex digit at position {position} has no second digit: each byte is two digits"),
    "capture.settings_not_json": ("{where}: settings không phải JSON ({detail})",
                                  "{where}: settings are not JSON ({detail})"),
    "capture.settings_too_deep": ("{where}: settings là JSON lồng nhau quá sâu",
                                  "{where}: settings are JSON nested too deeply"),
    "capture.settings_not_object": ("{where}: settings phải là một đối tượng JSON",
                                    "{where}: settings must be a JSON object"),
    "capture.unknown_setting": ("{where}: tệp ghi {kind} không có thiết lập {key}",
                                "{where}: unknown setting {key} for {kind} captures"),
    "capture.empty": ("{name}: tệp rỗng, không phải tệp ghi của trạm",
                      "{name}: empty file, not a kiosk capture"),
    "capture.not_capture": ("{where}: không phải tệp ghi của trạm (cần '{magic} format=…')",
                            "{where}: not a kiosk capture (expected '{magic} format=…')"),
    "capture.bad_format": ("{where}: format phải là một trong {kinds}",
                           "{where}: format must be one of {kinds}"),
    "capture.unknown_version": (
        "{where}: tệp ghi phiên bản {version}; trạm này đọc được {versions} (hãy cập nhật "
        "phần mềm trạm)",
        "{where}: a capture of version {version}; this kiosk reads {versions} (update the "
        "kiosk's software)"),
    "capture.quiet_in_v1": (
        "dòng '{quiet}' (lúc đường truyền im lặng) chỉ có trong tệp ghi v2, tệp này là "
        "v{version}",
        "a '{quiet}' line (when the line was quiet) belongs in a v2 capture, this one is "
        "v{version}"),
    "capture.quiet_guessed": (
        "tệp ghi v1 không ghi lúc đường truyền im lặng: một khoảng nghỉ giữa hai lần đọc dài "
        "hơn idle_gap_ms được coi là im lặng, nên một lần đọc bị trễ khi ghi có thể hiện một "
        "mã thành hai lượt quét; ghi lại bằng phiên bản này để chắc chắn",
        "a v1 capture does not record when the line was quiet: a pause between two reads "
        "longer than idle_gap_ms is taken as quiet, so a read that came late while recording "
        "may show one code as two scans; record it again with this version to be sure"),
    "capture.bad_time": (
        "thời gian {time} không phải một số giây từ 0 đến {most} viết bằng chữ số (như "
        "12.503311)",
        "the time {time} is not a number of seconds from 0 to {most} written in digits "
        "(such as 12.503311)"),
    "capture.time_back": (
        "thời gian {time} lùi lại so với dòng {before}: các lần đọc được ghi theo một đồng "
        "hồ không bao giờ lùi, nên tệp đã bị sửa hoặc bị hỏng",
        "the time {time} goes back from line {before}: reads are timed by a clock that "
        "never goes back, so the file was altered or damaged"),
    "capture.unreadable": ("không đọc được tệp ghi {path}: {reason}",
                           "cannot read capture {path}: {reason}"),
    "capture.not_utf8": ("{path}: không phải văn bản UTF-8, không phải tệp ghi của trạm",
                         "{path}: not UTF-8 text, not a kiosk capture"),
    "replay.cannot_open": ("không mở được {path}: {reason}", "cannot open {path}: {reason}"),
    "capture.wrong_format": (
        "{path} là tệp ghi {got}, nhưng thiết bị đặt format = \"{format}\"",
        "{path} is a {got} capture, but the device says format = \"{format}\""),
    "device.type_unavailable": ("không có loại thiết bị {type}",
                                "type {type} is not available"),
    "device.needs_library": ("loại {type} cần {name}; cài bằng: make install",
                             "{type} support needs {name}; install it with: make install"),
    "device.read_before_open": ("đọc trước khi mở", "read before open"),
    "advice.alt_codes": (
        "Máy quét gõ ký tự bằng Alt+số: chữ tiếng Việt không đi qua được chế độ bàn phím — "
        "chuyển máy quét sang USB-COM (serial) hoặc HID POS",
        "Alt+numpad mode detected: Vietnamese letters cannot pass through keyboard mode — "
        "switch the scanner to USB-COM (serial) or HID POS",
    ),
    "advice.lost_letters": (
        "Có chữ bị thay bằng '?': máy quét không gõ được chữ đó ở chế độ bàn phím",
        "Some letters arrived as '?': the scanner cannot type them in keyboard mode",
    ),
    "advice.encoding": (
        "Dữ liệu không phải UTF-8: đặt máy quét xuất UTF-8 nếu được",
        "The bytes are not UTF-8: set the scanner to UTF-8 output if it can",
    ),
    "advice.double_encoded": (  # payloads.names.double_encoded
        "Chữ tiếng Việt bị mã hoá hai lần (máy quét đọc mã QR theo Latin-1/cp1252 rồi gửi lại "
        "dạng UTF-8: \"Ä\" thay cho \"Đ\"): đặt bảng mã QR / đầu ra của máy quét là UTF-8 "
        "(xem sách hướng dẫn: \"QR code page\", \"Character encoding\")",
        "Vietnamese letters are encoded twice (the scanner reads the QR code as "
        "Latin-1/cp1252 and re-sends it as UTF-8: \"Ä\" for \"Đ\"): set the scanner's QR code "
        "page / output to UTF-8 (see its manual: \"QR code page\", \"Character encoding\")",
    ),
    "advice.ansi_codepage": (
        "Máy quét gõ Alt+số theo bảng mã {page}: đặt ansi_codepage = \"{page}\" (chữ tiếng "
        "Việt đi qua được với cp1258)",
        "The scanner types Alt codes in the {page} code page: set ansi_codepage = \"{page}\" "
        "(Vietnamese letters pass with cp1258)",
    ),
    "advice.unicode_entry": (
        "Máy quét gõ ký tự Unicode bằng Ctrl+Shift+U (kiểu Linux), trạm không nhận được: "
        "đặt máy quét gõ Alt+số kiểu Windows với ansi_codepage = \"cp1258\", hoặc tốt hơn "
        "chuyển sang USB-COM (serial) hoặc HID POS",
        "The scanner types Unicode letters as Ctrl+Shift+U (the Linux way), which the kiosk "
        "does not take: set it to Windows Alt codes with ansi_codepage = \"cp1258\", or "
        "better switch it to USB-COM (serial) or HID POS",
    ),
    "advice.baud": (  # serial_framer.line_noise: the port's rate is not the scanner's
        "Dữ liệu là nhiễu đường truyền (NUL, ký tự điều khiển, byte không có trong bảng mã), "
        "không phải mã: tốc độ baud có thể sai — đang đặt baudrate = {baud}; đặt đúng tốc "
        "độ của máy quét (thường {usual}; xem sách hướng dẫn máy quét), hoặc thử "
        "`kiosk devices watch … --baud {other}`",
        "The bytes are line noise (NUL, control bytes, bytes no code page has), not a code: "
        "the baud rate may be wrong — baudrate = {baud} is set; set the scanner's own rate "
        "(usually {usual}; see its manual), or try `kiosk devices watch … --baud {other}`",
    ),
    "advice.dropped": ("Hệ thống đã làm mất phím (SYN_DROPPED): quét lại",
                       "The system dropped key events (SYN_DROPPED): scan again"),
    "advice.incomplete": ("Mã bị thiếu phần cuối (báo cáo HID không hoàn tất)",
                          "A scan was cut short (its last HID report never came)"),
    "advice.prefix": (
        "Mọi mã đều bắt đầu bằng byte điều khiển {bytes}, mã CCCD/PC-Covid/HC1 không có: "
        "máy quét thêm vào trước mã; đặt prefix = \"{setting}\" (hoặc tắt tiền tố trên máy "
        "quét)",
        "Every scan starts with the control bytes {bytes}, which no CCCD/PC-Covid/HC1 code "
        "has: the scanner adds them; set prefix = \"{setting}\" (or turn the scanner's "
        "prefix off)",
    ),
    "advice.suffix": (
        "Mọi mã đều kết thúc bằng byte điều khiển {bytes}, mã CCCD/PC-Covid/HC1 không có: "
        "máy quét thêm vào sau mã; đặt suffix = \"{setting}\" (hoặc tắt hậu tố đó trên "
        "máy quét)",
        "Every scan ends with the control bytes {bytes}, which no CCCD/PC-Covid/HC1 code "
        "has: the scanner adds them; set suffix = \"{setting}\" (or turn that suffix off "
        "on the scanner)",
    ),
    "advice.aim": ("Mã bắt đầu bằng ký hiệu AIM (]Q1…): đặt strip_aim = true",
                   "Payloads start with an AIM id (]Q1…): set strip_aim = true"),
    "advice.gap": (
        "Khoảng nghỉ giữa các ký tự lên tới {gap} ms, gần idle_gap_ms = {limit}: tăng "
        "idle_gap_ms lên {wanted}",
        "Keys arrive up to {gap} ms apart, close to idle_gap_ms = {limit}: raise idle_gap_ms "
        "to {wanted}",
    ),
    "advice.no_terminator_key": (
        "Mã kết thúc không có phím {key}: đặt terminator = \"none\" hoặc bật hậu tố Enter trên "
        "máy quét",
        "Scans end without {Key}: set terminator = \"none\" or enable the scanner's Enter "
        "suffix",
    ),
    "advice.terminator_key": ("Mã kết thúc bằng phím {key}: đặt terminator = \"{key}\"",
                              "Scans end with {Key}: set terminator = \"{key}\""),
    "advice.no_terminator": (
        "Máy quét không gửi ký tự kết thúc: đặt terminator = \"none\" (khoảng nghỉ "
        "idle_gap_ms kết thúc mã) hoặc bật hậu tố CR/LF trên máy quét",
        "The scanner sends no terminator: set terminator = \"none\" (the idle gap ends a "
        "scan) or enable a CR/LF suffix on the scanner",
    ),
    "advice.etx": (  # diagnostics: each burst ends with ETX, no CR/LF after it
        "Mỗi mã kết thúc bằng ETX (0x03), không có CR/LF: đặt terminator = \"{terminator}\""
        "{prefix}",
        "Each code ends with ETX (0x03) and no CR/LF: set terminator = \"{terminator}\"{prefix}",
    ),
    "advice.control_end": (  # diagnostics: each burst ends with one control byte, no CR/LF
        "Mỗi mã kết thúc bằng {bytes}, không có CR/LF: đặt terminator = \"{terminator}\" "
        "(hoặc đổi hậu tố trên máy quét thành CR/LF)",
        "Each code ends with {bytes} and no CR/LF: set terminator = \"{terminator}\" (or set "
        "the scanner's suffix to CR/LF)",
    ),
    "advice.etx_prefix": (
        " và prefix = \"{prefix}\" (mỗi mã bắt đầu bằng STX, 0x02)",
        " and prefix = \"{prefix}\" (each code starts with STX, 0x02)",
    ),
    "advice.terminator": ("Ký tự kết thúc có vẻ là {ending}: đặt terminator = \"{ending}\"",
                          "Terminator looks like {ending}: set terminator = \"{ending}\""),
    "advice.hex_off": ("Mã không phải dạng hex: đặt hex_mode = false",
                       "The scan is not hex digits: set hex_mode = false"),
    "advice.hex_on": ("Mã có vẻ là dạng hex: đặt hex_mode = true",
                      "The scan looks like hex-dump output: set hex_mode = true"),
    "advice.layout": (
        "Máy quét có vẻ dùng bàn phím \"{name}\": đặt layout = \"{name}\"",
        "The scanner seems set to the \"{name}\" keyboard layout: set layout = \"{name}\"",
    ),
    "advice.mode_keyboard": (
        "Thiết bị gửi báo cáo bàn phím 8 byte: đặt mode = \"keyboard\"",
        "The device sends 8-byte keyboard reports: set mode = \"keyboard\"",
    ),
    "advice.mode_pos": ("Thiết bị gửi báo cáo {size} byte: đặt mode = \"pos\"",
                        "The device sends {size}-byte reports: set mode = \"pos\""),
    # -- the `kiosk` and `kiosk-central` commands
    "cli.missing_extra": (
        "Lệnh này cần gói {package} (phần mở rộng \"{extra}\"): cài bằng `make install` hoặc "
        "`pip install 'checkpoint-kiosk[{extra}]'`",
        "This command needs the {package} package (extra \"{extra}\"): install it with "
        "`make install` or `pip install 'checkpoint-kiosk[{extra}]'`",
    ),
    "cli.warning": ("CẢNH BÁO: {warning}", "WARNING: {warning}"),
    "files.readable_by_others": (
        "người dùng khác đọc được {path} (quyền {mode}); chạy: chmod 600 {path}",
        "other users can read {path} (mode {mode}); run: chmod 600 {path}",
    ),
    "files.token_backup_readable": (
        "người dùng khác đọc được {path} (quyền {mode}), bản config.toml cũ còn chứa mã đồng "
        "bộ (token) của trạm; chạy: chmod 600 {path}, hoặc xoá tệp đó",
        "other users can read {path} (mode {mode}), an earlier config.toml still holding the "
        "kiosk's sync token; run: chmod 600 {path}, or delete it",
    ),
    "files.token_inline_readable": (
        "người dùng khác đọc được {path} (quyền {mode}), tệp chứa mã đồng bộ (token) của trạm "
        "([sync] token); chạy: chmod 600 {path}, hoặc chuyển mã sang một tệp riêng (chỉ chủ "
        "sở hữu đọc được, chmod 600) và ghi [sync] token_file = đường dẫn tệp đó",
        "other users can read {path} (mode {mode}), which holds the kiosk's sync token "
        "([sync] token); run: chmod 600 {path}, or move the token into a file of its own "
        "(readable by its owner only, chmod 600) named by [sync] token_file",
    ),
    "cli.store_damaged": (
        "Tệp dữ liệu bị hỏng. Dừng trạm, rồi chạy: kiosk store recover (giữ lại tệp hỏng)",
        "The store file is damaged. Stop the kiosk, then run: kiosk store recover (the damaged "
        "file is kept)",
    ),
    "cli.store_busy": (
        "Đóng chương trình kia (một lệnh kiosk khác, một trình xem cơ sở dữ liệu, một công cụ "
        "sao lưu) rồi chạy lại lệnh này",
        "Close the other program (another kiosk command, a database browser, a backup tool), "
        "then run this command again",
    ),
    "cli.store_access": (
        "Sửa chủ sở hữu hoặc quyền của {path} và thư mục chứa nó, hoặc gắn lại ổ đĩa cho "
        "phép ghi (xem: ls -ld {folder} {path}): tài khoản chạy trạm phải đọc và ghi được "
        "cả hai",
        "Fix the owner or mode of {path} and its folder, or mount its disk read-write (see: "
        "ls -ld {folder} {path}): the account running the kiosk must read and write both",
    ),
    "cli.store_path": (
        "Kiểm tra [store] path trong tệp cấu hình và các thư mục trên đường dẫn đó (xem: "
        "namei -l {path})",
        "Check [store] path in the config file and the folders along it (see: namei -l "
        "{path})",
    ),
    "cli.store_log_wrong_kind": (
        "Dừng trạm, xem thứ gì nằm ở đó (ls -ld {path}-wal {path}-shm) và dời thứ không phải "
        "tệp đi nơi khác (mv), rồi chạy lại lệnh này",
        "Stop the kiosk, see what is there (ls -ld {path}-wal {path}-shm) and move what is not "
        "a file aside (mv), then run this again",
    ),
    "cli.store_disk_full": (
        "Giải phóng chỗ trống trên ổ đĩa chứa {folder} (xem: df -h {folder}) rồi chạy lại "
        "lệnh này",
        "Free some space on the disk holding {folder} (see: df -h {folder}), then run this "
        "command again",
    ),
    "cli.store_disk": (
        "Kiểm tra ổ đĩa chứa {folder} và dây nối hoặc mạng tới nó (xem: dmesg), rồi chạy lại "
        "lệnh này",
        "Check the disk holding {folder} and its cable or network (see: dmesg), then run "
        "this command again",
    ),
    "files.output_is_kept": (
        "{path} là tệp {kept} mà trạm giữ (cấu hình, mã truy cập hoặc khoá): không ghi đè lên "
        "tệp này, kể cả với --force, không ghi gì; hãy chọn một tên tệp khác",
        "{path} is {kept}, a file the kiosk keeps (its config, token or keys): it is not "
        "written over, not even with --force, nothing written; choose another file name"),
    "files.output_is_store": (
        "{path} là một tệp của cơ sở dữ liệu đang dùng ({store}): không ghi đè lên tệp này, "
        "không ghi gì; hãy chọn một tên tệp khác",
        "{path} is a file of the database in use ({store}): it is not written over, nothing "
        "written; choose another file name",
    ),
    "files.output_is_folder": (
        "{path} là một thư mục: hãy cho tên một tệp trong thư mục đó, chẳng hạn {example}; "
        "không ghi gì",
        "{path} is a folder: give the name of a file in it, e.g. {example}; nothing written",
    ),
    "files.output_folder_missing": (
        "không có thư mục {folder}, không ghi gì (thư mục không được tạo ra trên đĩa của máy "
        "này). Nếu đó là USB: hãy cắm USB và gắn (mount) nó, rồi chạy lại lệnh; nếu không, "
        "hãy kiểm tra lại đường dẫn {path}",
        "there is no folder {folder}, nothing written (the folder is not made on this "
        "machine's own disk). If it is a USB stick: plug it in and mount it, then run the "
        "command again; if not, check the path {path}",
    ),
    "files.output_not_mounted": (
        "không có USB nào được gắn (mount) ở {folder}: đó là một thư mục trên đĩa của máy "
        "này, không ghi gì. Hãy cắm USB và gắn (mount) nó, rồi chạy lại lệnh; muốn ghi vào "
        "đĩa của máy này thì hãy cho một thư mục ngoài {roots}",
        "no USB stick is mounted at {folder}: it is a folder on this machine's own disk, "
        "nothing written. Plug in the stick and mount it, then run the command again; to "
        "write to this machine's disk on purpose, give a folder outside {roots}",
    ),
    "files.output_exists": (
        "{path} đã có: không ghi đè lên tệp này, không ghi gì (thêm --force để thay tệp này)",
        "{path} already exists: it is not written over, nothing written (add --force to "
        "replace it)",
    ),
    "files.output_refused": (
        "{path} là một thiết bị khối, một socket hoặc một ống có tên của người dùng khác: "
        "không ghi gì vào đó; hãy chọn một tên tệp khác",
        "{path} is a block device, a socket or another user's named pipe: nothing written "
        "into it; choose another file name",
    ),
    "files.output_not_file": (
        "{path} không phải một tệp (một ống hoặc một thiết bị): tệp xuất được ghi trọn rồi đọc "
        "lại để kiểm tra, nên không ghi gì vào đó; hãy chọn một tên tệp",
        "{path} is not a file (a pipe or a device): the export file is written whole, then "
        "read back and checked, so nothing is written there; choose a file name",
    ),
    "cli.export_removed": (
        "Đã xoá tệp xuất {path}: không ghi được số lượt đã xuất vào nhật ký, nên tệp không "
        "được giữ",
        "The export file {path} was deleted: the count of entries exported could not be "
        "written to the audit log, so the file is not kept",
    ),
    "cli.export_unwritable": (
        "Không ghi được tệp xuất {path}: {reason}; không xuất gì",
        "Cannot write the export file {path}: {reason}; nothing exported",
    ),
    "cli.store_disk_full_reading": (
        "Ổ đĩa chứa {folder} đã đầy: trạm không mở được kho {path} để ghi lượt quét. Lệnh này "
        "chỉ đọc kho (không chương trình nào khác mở được kho trong lúc đó) và không ghi gì, "
        "kể cả nhật ký kiểm tra. Giải phóng chỗ trống trên ổ đĩa đó (xem: df -h {folder}) rồi "
        "khởi động lại trạm",
        "The disk holding {folder} is full: the kiosk cannot open the store {path} to record "
        "scans. This command only reads it (no other program can open it meanwhile) and writes "
        "nothing, not even the audit log. Free some space on that disk (see: df -h {folder}), "
        "then start the kiosk again",
    ),
    "cli.store_read_only": (
        "Kho {path} chỉ đọc được (không có quyền ghi hoặc ổ chỉ đọc): hiển thị dữ liệu đã có, "
        "không ghi gì, kể cả nhật ký kiểm tra",
        "The store {path} is read-only (no write permission or a read-only disk): showing "
        "what it holds, writing nothing, not even the audit log",
    ),
    "cli.store_counts_repaired": (
        "Số lượt đếm sẵn của hàng chờ gửi khác với số lượt thật trong kho (máy trạm, trạng "
        "thái, đếm sẵn → thật): {counts}; đã đếm lại từ các lượt, không lượt nào bị đổi",
        "The outbox's kept counts differed from the entries in the store (kiosk, state, "
        "kept → counted): {counts}; made again from the entries, no entry changed",
    ),
    "cli.store_counts_wrong": (
        "Số lượt đếm sẵn của hàng chờ gửi khác với số lượt thật trong kho (máy trạm, trạng "
        "thái, đếm sẵn → thật): {counts}; kho chỉ đọc được nên chưa sửa: chạy lại lệnh này "
        "với quyền ghi kho",
        "The outbox's kept counts differ from the entries in the store (kiosk, state, "
        "kept → counted): {counts}; not repaired, the store is read-only here: run this "
        "again with the right to write it",
    ),
    "cli.store_sound": (
        "Kho {path} nguyên vẹn: đã đọc hết {size} MiB trong {seconds} giây",
        "The store {path} is sound: all {size} MiB read in {seconds} s",
    ),
    "cli.recovered_lost": (
        "{unsent} lượt bị mất chưa đến trung tâm (mất hẳn); danh sách mã lượt bị mất: {listing}",
        "{unsent} of the lost entries had not reached the centre (gone for good); the lost "
        "entries' ids are listed in {listing}",
    ),
    "cli.recovered_lost_unknown": (
        "{unknown} lượt bị mất có thể chưa đến trung tâm: bản ghi hàng đợi gửi của chúng "
        "cũng hỏng (ghi 'unknown' trong danh sách); hãy hỏi trung tâm xem đã nhận chưa",
        "{unknown} of the lost entries may not have reached the centre: their outbox record "
        "is damaged too (marked 'unknown' in the list); ask the centre whether it holds "
        "them",
    ),
    "cli.recovered_uncounted": (
        "một số không rõ (tệp hỏng không còn đếm được lượt của nó)",
        "an unknown number (the damaged file can no longer count its entries)",
    ),
    "cli.store_backup_argument": (
        "kiosk store {action}: chỉ `restore` nhận một tệp sao lưu, và phải có tệp đó "
        "(được: {backup}), ví dụ: kiosk store restore /var/lib/checkpoint-kiosk/kiosk.db.v5.bak",
        "kiosk store {action}: only `restore` takes a backup file, and needs one (given: "
        "{backup}), e.g. kiosk store restore /var/lib/checkpoint-kiosk/kiosk.db.v5.bak"),
    "cli.restored": (
        "Đã khôi phục {path} từ {backup} (lược đồ v{version}, {entries} lượt); tệp bị thay "
        "(cùng -wal/-shm nếu có) giữ tại {kept}",
        "Restored {path} from {backup} (schema v{version}, {entries} entries); the file it "
        "replaced (with its -wal/-shm if any) is kept as {kept}"),
    "cli.restored_older": (
        "Bản này ở lược đồ cũ v{version}: cài lại phiên bản cũ đã ghi nó trước khi khởi động "
        "trạm — phiên bản này (v{ours}) sẽ nâng cấp nó lần nữa",
        "This copy is at the older schema v{version}: reinstall the old release that wrote "
        "it before starting the kiosk — this release (v{ours}) would upgrade it again"),
    "cli.recovered": (
        "Đã cứu {saved} lượt ({pending} chưa gửi, vẫn sẽ gửi); mất {lost}. Tệp hỏng giữ tại "
        "{damaged}",
        "Saved {saved} entries ({pending} not yet sent, still to be sent); lost {lost}. "
        "Damaged file kept at {damaged}",
    ),
    "cli.config_token_problem": (
        "{path}: không có mã đồng bộ — {problem}. Sửa [sync] token_file cho đúng tên tệp, "
        "hoặc cho tài khoản chạy trạm quyền đọc tệp (chủ sở hữu, quyền: `ls -l` tệp đó); "
        "đừng xin mã mới",
        "{path}: no sync token — {problem}. Fix [sync] token_file to name the right file, or "
        "let the kiosk's account read it (owner, mode: `ls -l` the file); do not ask for a "
        "new token"),
    "cli.config_ok": (
        "{path}: ĐÚNG — trạm {kiosk}, chốt {checkpoint}, {devices} thiết bị",
        "{path}: OK — kiosk {kiosk}, checkpoint {checkpoint}, {devices} device(s)",
    ),
    "cli.entries": ("{count} lượt", "{count} entries"),
    "cli.exported": ("đã xuất {count} lượt", "exported {count} entries"),
    "cli.exported_sheets": (
        "các lượt nằm trên {sheets} trang tính ({names}): mỗi trang tính của Excel chứa tối "
        "đa {rows} dòng, mỗi trang có dòng tiêu đề riêng",
        "the entries are on {sheets} sheets ({names}): an Excel sheet holds at most {rows} "
        "rows; each sheet has its own header row"),
    "cli.export_stopped": ("Đã dừng xuất: những gì đã ghi ra chưa đủ",
                           "Export stopped: what was written is incomplete"),
    "cli.export_stopped_file": ("Đã dừng xuất; đã xoá tệp ghi dở {path}",
                                "Export stopped; the unfinished file {path} was deleted"),
    "cli.stats.in": ("Vào", "In"),
    "cli.stats.out": ("Ra", "Out"),
    "cli.stats.inside": ("Đang ở trong", "Inside now"),
    "cli.stats.inside_at_end": ("Ở trong lúc hết ngày", "Inside at day end"),
    "cli.stats.duplicates": ("Quét trùng", "Duplicates"),
    "cli.stats.refused": ("Mã bị từ chối", "Refused codes"),
    "cli.stats.not_id": ("Mã không phải giấy tờ", "Codes naming nobody"),  # none in In/Out
    "cli.running_headless": (
        "trạm {kiosk} tại chốt {checkpoint} chạy không giao diện; thiết bị: {devices}; "
        "kho: {store}",
        "kiosk {kiosk} at {checkpoint} running headless; devices: {devices}; store: {store}",
    ),
    "cli.no_devices": ("không có", "none"),
    "cli.stopped": ("trạm đã dừng", "kiosk stopped"),
    "cli.recording_again": (
        "{time}  GHI ĐƯỢC LẠI  kho dữ liệu đã ghi được trở lại: lượt quét được ghi như thường",
        "{time}  RECORDING  the store takes writes again: scans are recorded again"),
    "cli.config_error": ("lỗi cấu hình", "config error"),
    "cli.store_error": ("lỗi kho dữ liệu", "store error"),
    "cli.failed": ("lệnh không làm xong: {reason}", "the command did not finish: {reason}"),
    "cli.storage_error": ("lỗi cơ sở dữ liệu trung tâm", "storage error"),
    "cli.xlsx_needs_output": ("xuất --format xlsx cần -o TỆP.xlsx",
                              "export --format xlsx needs -o FILE.xlsx"),
    # argparse's refusals of a command line (kiosk.commandline.CommandParser), its words
    "cli.args.error": ("lỗi", "error"),
    "cli.empty_path": (
        "đường dẫn trống (một biến của shell chưa được đặt?): hãy cho đường dẫn nơi ghi ra; "
        "không đọc, không ghi gì",
        "empty path (a shell variable not set?): give the path to write to; nothing read or "
        "written"),
    "cli.args.argument": ("tham số {argument}: {message}", "argument {argument}: {message}"),
    "cli.args.unrecognized": ("không hiểu các tham số: {arguments}",
                              "unrecognized arguments: {arguments}"),
    "cli.args.required": ("thiếu các tham số bắt buộc: {arguments}",
                          "the following arguments are required: {arguments}"),
    "cli.args.invalid_choice": ("lựa chọn không hợp lệ: {value} (chọn một trong {choices})",
                                "invalid choice: {value} (choose from {choices})"),
    "cli.args.invalid_value": ("giá trị {type} không hợp lệ: {value}",
                               "invalid {type} value: {value}"),
    "cli.args.expected_one": ("cần một giá trị", "expected one argument"),
    "cli.args.expected_at_most_one": ("cần nhiều nhất một giá trị",
                                      "expected at most one argument"),
    "cli.args.expected_at_least_one": ("cần ít nhất một giá trị",
                                       "expected at least one argument"),
    "cli.args.not_allowed_with": ("không dùng cùng được với tham số {argument}",
                                  "not allowed with argument {argument}"),
    "cli.args.one_required": ("cần một trong các tham số {arguments}",
                              "one of the arguments {arguments} is required"),
    "cli.args.ignored_explicit": ("tùy chọn này không nhận giá trị: {value}",
                                  "ignored explicit argument {value}"),
    "cli.args.ambiguous": ("tùy chọn không rõ: {option} có thể là {matches}",
                           "ambiguous option: {option} could match {matches}"),
    "cli.not_utf8": ("{option} {value}: văn bản không phải UTF-8 (hãy đặt bảng mã của terminal "
                     "là UTF-8)",
                     "{option} {value}: the text is not UTF-8 (set the terminal's encoding to "
                     "UTF-8)"),
    "cli.bad_hex": ("{value}: không phải các byte hex ({reason})",
                    "{value}: not hex bytes ({reason})"),
    "cli.bad_day": ("{value}: cần một ngày YYYY-MM-DD", "{value}: expected a date, YYYY-MM-DD"),
    "cli.day_outside_calendar": ("{value}: cần một ngày từ {first} đến {last}",
                                 "{value}: expected a date from {first} to {last}"),
    "cli.whole_number_range": ("{option} {value}: cần một số từ {least} đến {most}",
                               "{option} {value}: expected a number from {least} to {most}"),
    "cli.positive_number_range": ("{option} {value}: cần một số lớn hơn 0, tối đa {most}",
                                  "{option} {value}: expected a number above 0, at most {most}"),
    "cli.bad_whole_number": ("{option} {value}: cần một số nguyên viết bằng chữ số 0-9",
                             "{option} {value}: expected a whole number in digits 0-9"),
    "cli.bad_decimal_number": ("{option} {value}: cần một số viết bằng chữ số 0-9, phần lẻ (nếu "
                               "có) sau một dấu '.'",
                               "{option} {value}: expected a number in digits 0-9, any "
                               "fraction after one '.'"),
    "cli.bad_positive_number": ("{option} {value}: cần một số lớn hơn 0 viết bằng chữ số 0-9, "
                                "phần lẻ (nếu có) sau một dấu '.'",
                                "{option} {value}: expected a number above 0 in digits 0-9, "
                                "any fraction after one '.'"),
    "cli.bad_moment": ("{value}: cần YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM",
                       "{value}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
    "cli.bad_report_day": ("{value}: cần YYYY-MM-DD, 'today' hoặc 'yesterday'",
                           "{value}: expected YYYY-MM-DD, 'today' or 'yesterday'"),
    "cli.bad_month": ("{value}: cần YYYY-MM", "{value}: expected YYYY-MM"),
    "cli.bad_pool": ("{value}: cần số kết nối từ 1 đến {most}",
                     "{value}: expected a number of connections from 1 to {most}"),
    "cli.bad_statement_timeout": ("{value}: cần số giây từ 0.001 đến {most}",
                                  "{value}: expected seconds from 0.001 to {most}"),
    "cli.bad_workers": ("{value}: cần số tiến trình từ 1 đến {most}",
                        "{value}: expected a number of processes from 1 to {most}"),
    "cli.bad_proxies": ("{value}: cần địa chỉ IP hoặc mạng (10.0.0.5, 10.0.1.0/24), cách nhau "
                        "bằng dấu phẩy, hoặc *",
                        "{value}: expected IP addresses or networks (10.0.0.5, 10.0.1.0/24), "
                        "comma-separated, or *"),
    "cli.bad_formats": ("{value}: cần một hay nhiều định dạng trong {formats}",
                        "{value}: expected one or more of {formats}"),
    "cli.bad_duration": ("{value}: cần một khoảng thời gian như 15m, 2h, 1h30m",
                         "{value}: expected a duration like 15m, 2h, 1h30m"),
    "cli.whole_minutes": (
        "{value}: cần một số phút nguyên như 15m, 2h, 1h30m (như trang Truy vết và API)",
        "{value}: expected whole minutes like 15m, 2h, 1h30m (as the Tracing page and the "
        "API take)"),
    "cli.bad_count": ("{value}: cần một số nguyên, ví dụ 5",
                      "{value}: expected a whole number, e.g. 5"),
    "cli.qt_refused": ("Không dùng giao diện Qt: {problem}", "Qt interface refused: {problem}"),
    "cli.no_display": (
        "Không mở được giao diện Qt ({error}); chạy không giao diện",
        "Qt interface unavailable ({error}); running headless",
    ),
    # -- serve's log lines shown without -v: worded; the database's own text follows at INFO
    "central.log.page_not_served": ("một trang không được phục vụ: {reason}",
                                    "a page was not served: {reason}"),
    "central.log.request_not_stored": ("yêu cầu của một máy không được lưu: {reason}",
                                       "a kiosk's request was not stored: {reason}"),
    "central.log.id_held_elsewhere": (
        "trạm {kiosk} gửi {count} lượt có mã mà lượt của trạm khác đã giữ (đầu tiên: {first}, "
        "của trạm {other}; mã truy cập của trạm {other} bị người khác dùng?): các lượt đó "
        "được lưu với mã riêng",
        "kiosk {kiosk} sent {count} entries whose ids another kiosk's entries hold (the "
        "first: {first}, held by kiosk {other}; is kiosk {other}'s token used by someone "
        "else?): they are kept under ids of their own"),
    "central.log.storage_failure": ("lỗi bộ lưu trữ: {reason}", "storage failure: {reason}"),
    "central.log.trace_refused_unrecorded": (
        "truy vết của {actor} ({channel}, từ {address}) bị từ chối vì quá giới hạn mỗi giờ; "
        "không ghi thêm vào nhật ký kiểm tra (đã ghi một lần trong phút này)",
        "a trace by {actor} ({channel}, from {address}) refused over the hourly limit; not "
        "recorded in the audit log again (one was this minute)"),
    "central.log.trace_claim_kept": (
        "truy vết của {actor} đã trả lời, nhưng chưa bỏ được lượt giữ chỗ của nó ({reason}): "
        "nó còn được tính vào giới hạn mỗi giờ thêm tối đa {minutes} phút",
        "a trace by {actor} was answered, but its claim could not be removed ({reason}): it "
        "counts against the hourly limit for {minutes} minutes at most"),
    "central.log.derivation_put_off": (
        "việc tổng hợp bị hoãn, {reason}; thử lại mỗi {seconds} giây",
        "derivation put off, {reason}; trying again every {seconds} s"),
    "central.log.set_aside": (
        "tổng hợp: {entries} lượt của máy {kiosk} bị để riêng (lượt đầu {first}): {reason}",
        "derivation: {entries} entries of kiosk {kiosk} set aside (first {first}): {reason}"),
    "central.log.people_not_counted": (
        "tổng hợp: chưa đếm được số người của {entries} lượt bị để riêng trước khi ngày của "
        "chúng chốt: {reason}",
        "derivation: the people of {entries} entries set aside could not be counted before "
        "their days froze: {reason}"),
    "sync.log.found_damaged": ("đồng bộ: tệp dữ liệu của máy bị hỏng, đọc thất bại: {reason}",
                               "sync: the store file is damaged, reading it failed: {reason}"),
    "pipeline.log.not_recorded": ("lượt quét từ {device} CHƯA được ghi: {reason}",
                                  "scan from {device} NOT recorded: {reason}"),
    "pipeline.log.refused_not_logged": ("không ghi được lượt quét bị từ chối: {reason}",
                                        "could not log refused scan: {reason}"),
    # -- the technicians' log lines (ERROR/WARNING, shown without -v): worded, the reason
    # first, then what follows or what to do; the system's or SQLite's English at INFO (-v)
    "log.once": ("(chạy lại mỗi giờ; không ghi lại vào nhật ký khi việc này còn nguyên)",
                 "(run again every hour; not logged again while this stands)"),
    "log.listener_failed": ("{what}: hàm nghe {listener} bị lỗi (chi tiết bên dưới)",
                            "{what} listener {listener} failed (details below)"),
    "app.log.purge_not_run": ("không dọn được các lượt quá hạn lưu giữ: {reason}",
                              "retention purge not run: {reason}"),
    "app.log.purge_failed": (
        "dọn các lượt quá hạn lưu giữ bị lỗi phần mềm (chi tiết bên dưới); thử lại sau một "
        "giờ, việc quét vẫn tiếp tục",
        "retention purge failed, a software fault (details below); tried again in an hour, "
        "scanning goes on"),
    "app.log.checking_at_start": (
        "{path}: chưa kiểm tra trong ngày: kiểm tra toàn bộ tệp kho dữ liệu ở nền, vẫn nhận "
        "lượt quét",
        "{path}: no check within a day: checking the whole store file in the background, "
        "scans are taken meanwhile"),
    "app.log.checking_before_start": (
        "{path}: lần chạy trước không dừng đúng cách (mất điện, bị tắt ngang): kiểm tra toàn "
        "bộ tệp kho dữ liệu trước lượt quét đầu tiên",
        "{path}: the last run did not stop cleanly (a power cut, a kill): checking the whole "
        "store file before the first scan"),
    "app.log.check_not_run": ("không kiểm tra được toàn bộ tệp kho dữ liệu: {reason}",
                              "store check not run: {reason}"),
    "app.log.check_failed": (
        "kiểm tra toàn bộ tệp kho dữ liệu bị lỗi phần mềm (chi tiết bên dưới); thử lại sau "
        "một giờ",
        "store check failed, a software fault (details below); tried again in an hour"),
    "app.log.store_damaged": (
        "kho dữ liệu bị hỏng, không ghi được lượt quét nào nữa; dừng trạm rồi chạy kiosk "
        "store recover. SQLite thấy: {findings}",
        "store damaged, no scan is recorded any more; stop the kiosk and run kiosk store "
        "recover. SQLite found: {findings}"),
    "store.log.room_back": (
        "{path}: ổ đĩa đã có chỗ trống trở lại và ghi được vào kho dữ liệu; lượt quét được ghi "
        "lại",
        "{path}: the disk has room again and the store took a write; scans are recorded again"),
    "store.log.lock_released": (
        "{path}: chương trình kia đã nhả khoá ghi của kho dữ liệu",
        "{path}: the other program let go of the store's write lock"),
    "store.discard_enrolled": (
        "Không xoá: mã trạm {kiosk} đã từng đăng ký với trung tâm ({evidence}): bản ghi của "
        "nó là thật. Gửi chúng bằng mã đồng bộ của trạm đó (`kiosk sync push --kiosk-id "
        "{kiosk} --token-file TỆP`) hoặc bằng tệp (`kiosk sync export --kiosk-id {kiosk} --to "
        "TỆP`)",
        "Not deleted: kiosk id {kiosk} was enrolled at a centre ({evidence}): its entries are "
        "real. Send them with that kiosk's token (`kiosk sync push --kiosk-id {kiosk} "
        "--token-file FILE`) or in a file (`kiosk sync export --kiosk-id {kiosk} --to FILE`)"),
    "store.enrolment_audited": (
        "nhật ký kiểm tra ghi lần đăng ký của nó, hoặc nó từng được dùng với mã đồng bộ",
        "the audit log holds its enrolment, or its use with a token"),
    "store.enrolment_answered": ("trung tâm đã trả lời về bản ghi của nó (nhận hoặc từ chối)",
                                 "the centre answered entries of it (acknowledged or refused)"),
    "store.enrolment_exported": ("bản ghi của nó đã được xuất ra tệp cho trung tâm",
                                 "entries of it were exported to a file for the centre"),
    "store.log.looked_at_again": (
        "{path}: lại truy cập được tệp kho dữ liệu, và đó vẫn là tệp đã mở",
        "{path}: the store file can be looked at again and is the file opened"),
    "store.log.log_files_changed": (
        "{path}: tệp -wal hoặc -shm không còn là tệp trạm đã mở (đã bị xoá hoặc thay)",
        "{path}: its -wal or -shm is no longer the one the kiosk opened (deleted or "
        "replaced)"),
    "store.log.shm_replaced": (
        "{path}-shm đã bị thay: nhật ký ghi được để lại cho các chương trình dùng tệp mới "
        "(dồn nhật ký qua tệp cũ sẽ làm hỏng tệp); lần khởi động sau sẽ đọc nó",
        "{path}-shm replaced: the log is left to the programs using the new one (a "
        "checkpoint through the old one would corrupt the file); the next start reads it"),
    "store.log.not_emptied": (
        "{path}: chưa dồn được nhật ký ghi của tệp kho dữ liệu đã mất khỏi đường dẫn đó "
        "({reason})",
        "{path}: the log of the store file lost from there not emptied ({reason})"),
    "store.log.reader_busy": ("một chương trình khác đang đọc tệp", "a reader is busy"),
    "store.log.not_set_aside": (
        "{path}{suffix} của tệp kho dữ liệu bị thay chưa được dời sang chỗ khác: {reason}",
        "{path}{suffix}, the replaced store file's, not moved aside: {reason}"),
    "store.log.set_aside": (
        "{path}{suffix} của tệp kho dữ liệu bị thay đã được dời sang {aside}: tệp ở đó bây "
        "giờ mở mà không có nó",
        "{path}{suffix}, the replaced store file's, moved aside to {aside}: the file there "
        "now opens without it"),
    "store.log.names_not_indexed": (
        "{path}: các tên mới nhất chưa được đưa vào chỉ mục, một kết nối khác đang giữ khoá "
        "ghi; thử lại sau lần ghi tiếp theo",
        "{path}: the latest names not moved into the index, another connection holds the "
        "write lock; tried again after the next write"),
    "store.log.audit_read_only": (
        "kho dữ liệu chỉ đọc: không ghi vào nhật ký kiểm tra: {actor} {action} {detail}",
        "read-only store: not in the audit log: {actor} {action} {detail}"),
    "store.log.configured_not_recorded": (
        "Chưa ghi được vào nhật ký kiểm tra rằng mã trạm {kiosk} được cấu hình với mã đồng "
        "bộ ({reason}); lần mở sau sẽ ghi lại",
        "Could not write to the audit log that kiosk id {kiosk} is configured with a token "
        "({reason}); the next open tries again"),
    "upkeep.log.not_started": (
        "chưa bắt đầu bảo trì kho dữ liệu {path}: {reason}; thử lại sau lần ghi tiếp theo",
        "store upkeep of {path} not started: {reason}; tried again after the next write"),
    "upkeep.log.failed": (
        "bảo trì kho dữ liệu {path} bị lỗi (chi tiết bên dưới); thử lại sau lần ghi tiếp theo",
        "store upkeep of {path} failed (details below); tried again after the next write"),
    "upkeep.log.checkpoint_failed": (
        "dồn nhật ký ghi của {path} chạy nền không được: {reason}",
        "background checkpoint of {path} failed: {reason}"),
    "upkeep.log.refused": (
        "chưa bảo trì kho dữ liệu {path}, kho không nhận ghi ({reason})",
        "store upkeep of {path} not done, the store refuses writes ({reason})"),
    "export.log.workers_failed": (
        "xuất: các tiến trình phụ bị lỗi ({reason}); phần còn lại được định dạng tại đây",
        "export: worker processes failed ({reason}); formatting the rest here"),
    "device.os_failed": ("{path}: {reason}", "{path}: {reason}"),
    "device.named": ("{device}: {reason}", "{device}: {reason}"),
    "device.internal_error": ("lỗi phần mềm của trạm: {error}", "internal error: {error}"),
    "device.log.replay_bad_hex": (
        "{where}: bỏ qua dòng phát lại, {value} không phải các byte hex: {problem}",
        "{where}: replay line skipped, {value} is not hex bytes: {problem}"),
    "device.log.still_reading": ("vẫn đang đọc sau {seconds} giây: {threads}",
                                 "still reading after {seconds} s: {threads}"),
    "device.log.not_submitted": (
        "lượt quét từ {device} không chuyển đi được (lỗi phần mềm, chi tiết bên dưới): "
        "{payload}",
        "scan from {device} could not be submitted (a software fault, details below): "
        "{payload}"),
    "device.log.failed": ("thiết bị {device}: {reason} (thử lại sau {seconds} giây)",
                          "device {device}: {reason} (retry in {seconds} s)"),
    "device.log.crashed": (
        "thiết bị {device} bị lỗi phần mềm (chi tiết bên dưới); thử lại sau {seconds} giây",
        "device {device} crashed (details below); retry in {seconds} s"),
    "sync.log.token_unreadable": (
        "tệp mã đồng bộ {path} không đọc được: {reason}; không có mã thì không tải lên được. "
        "Kiểm tra [sync] token_file",
        "sync token file {path} unreadable: {reason}; without a token nothing is uploaded. "
        "Check [sync] token_file"),
    "sync.token_unreadable": ("tệp mã đồng bộ {path} không đọc được: {reason}",
                              "sync token file {path} unreadable: {reason}"),
    "sync.token_empty": ("tệp mã đồng bộ {path} rỗng", "sync token file {path} is empty"),
    "sync.unusable_registration": (
        "câu trả lời về đăng ký của trạm không dùng được: {detail}",
        "unusable answer about the kiosk's registration: {detail}"),
    "sync.log.not_text": ("không phải văn bản UTF-8, byte {byte} sai [{reason}]",
                          "not UTF-8 text, byte {byte} is wrong [{reason}]"),
    "sync.log.left_behind": (
        "tiến trình đồng bộ vẫn chờ trung tâm trả lời; để nó lại, nó tự đóng khi yêu cầu "
        "kết thúc",
        "sync worker still waiting for the centre; leaving it behind, it closes itself once "
        "the request ends"),
    "sync.log.cycle_failed": (
        "một vòng đồng bộ bị lỗi (chi tiết bên dưới); thử lại sau thời gian chờ",
        "sync worker cycle failed (details below); tried again after a back-off"),
    "sync.log.store_refuses": ("đồng bộ: ngừng tải lên, kho dữ liệu không nhận ghi ({reason})",
                               "sync: uploads stopped, the store refuses writes ({reason})"),
    "sync.log.store_back": ("đồng bộ: kho dữ liệu nhận ghi trở lại, tiếp tục tải lên",
                            "sync: the store takes writes again, uploads go on"),
    "sync.log.signing_key_held": (
        "đồng bộ: trung tâm giữ một khoá ký tệp tồn đọng khác cho trạm này; các tệp tồn đọng "
        "của trạm sẽ bị từ chối ({reason})",
        "sync: the centre holds another backlog signing key for this kiosk; its backlog "
        "files will be refused ({reason})"),
    "sync.log.centre_key_changed": (
        "đồng bộ: {server} trả lời bằng một khoá trung tâm khác khoá đã giữ ({kept}, được "
        "đưa {offered}); không dùng khoá đó",
        "sync: {server} answers with another centre key than the one kept ({kept}, "
        "{offered} offered); it is not used"),
    "sync.push_keys_unknown": (  # a push with nothing pending: "connect once" for files
        "Chưa biết khoá mã hoá của trung tâm, nên `kiosk sync export` chưa xuất được tệp "
        "nào: không hỏi được trung tâm ({reason}). Trước khi mang trạm tới điểm không có "
        "mạng: có mạng tới trung tâm thì chạy lại `kiosk sync push`, hoặc đăng ký lại trạm "
        "(`kiosk enrol`)",
        "The centre's encryption key is not known yet, so `kiosk sync export` can write no "
        "file: the centre could not be asked ({reason}). Before the kiosk goes to a site with "
        "no network: with a network to the centre, run `kiosk sync push` again, or enrol it "
        "again (`kiosk enrol`)"),
    "sync.keys_not_exchanged": (
        "trung tâm không trả lời về khoá; xem nhật ký (`kiosk -v`)",
        "the centre gave no answer about the keys; see the log (`kiosk -v`)"),
    "sync.log.keys_not_exchanged": (
        "đồng bộ: chưa trao đổi khoá tệp tồn đọng ({reason}); hỏi lại ở vòng sau",
        "sync: backlog keys not exchanged ({reason}); asked again next cycle"),
    "sync.log.heartbeat_failed": ("đồng bộ: gửi tín hiệu hoạt động không được ({reason})",
                                  "sync: heartbeat failed ({reason})"),
    "sync.log.upload_failed": ("đồng bộ: tải lên không được ({reason})",
                               "sync: upload failed ({reason})"),
    "sync.log.export_not_marked": (
        "tệp xuất {path} đã ghi và kiểm tra ({entries} lượt), nhưng các lượt chưa được đánh "
        "dấu đã gửi: {reason}",
        "export to {path} written and checked ({entries} entries), not marked: {reason}"),
    "sync.log.centre_key_unreadable": (
        "{path} không đọc được ({reason}): sẽ hỏi lại khoá của trung tâm",
        "{path} unreadable ({reason}): the centre's key will be asked for again"),
    "sync.plain_http": (
        "{url} là địa chỉ http:// không mã hoá tới một máy khác: mã truy cập, mã đăng ký và "
        "tên, số giấy tờ của mọi người sẽ đi qua mạng ở dạng đọc được, và bất kỳ ai trên "
        "đường truyền cũng có thể trả lời \"đã nhận\" cho các lượt mà họ không hề lưu. Không "
        "gửi gì cả. Dùng địa chỉ https:// của trung tâm; chỉ trên mạng tin cậy từ đầu đến "
        "cuối (phòng thử nghiệm, VPN) mới đặt {setting}",
        "{url} is a plain http:// address of another machine: the token, the enrolment code "
        "and people's names and document numbers would cross the network readable, and "
        "anyone on the path could answer \"accepted\" for entries it never keeps. Nothing is "
        "sent. Use the centre's https:// address; only on a network trusted end to end (a "
        "lab, a VPN) set {setting}"),
    "sync.plain_http_allowed": (
        "{url} là http:// không mã hoá và {setting} đang bật: mã truy cập và dữ "
        "liệu của mọi người đi qua mạng ở dạng đọc được — chỉ dùng trên mạng tin cậy từ đầu "
        "đến cuối (phòng thử nghiệm, VPN)",
        "{url} is plain http:// and {setting} is on: the token and people's data "
        "cross the network readable — only on a network trusted end to end (a lab, a VPN)"),
    "sync.log.centre_key_damaged": (
        "tệp hỏng: dấu vân tay của khoá trong tệp là {found}, tệp ghi {written}",
        "damaged: the key in it has fingerprint {found}, the file says {written}"),
    "sync.log.not_centre_answer": ("không phải câu trả lời đã lưu của trung tâm",
                                   "not a saved answer of the centre"),
    "sync.log.centre_key_replaced": (
        "khoá tệp tồn đọng của trung tâm đã đổi từ {kept} sang {offered} theo mã đăng ký",
        "the centre's backlog key changed from {kept} to {offered} by enrolment"),
    "sync.log.centre_id_changed": (
        "trung tâm trả lời tại địa chỉ đồng bộ mang mã {offered}, không phải mã {kept} trạm "
        "đã ghi nhớ (một cơ sở dữ liệu khác dùng cùng khoá tệp tồn đọng?): vẫn giữ mã {kept}, "
        "câu trả lời cho tệp tồn đọng do trung tâm {offered} ghi sẽ bị từ chối. Nếu trạm đã "
        "chuyển sang trung tâm đó, hãy đăng ký lại trạm bằng một mã đăng ký mới",
        "the centre answering at the server address has id {offered}, not the id {kept} this "
        "kiosk keeps (another database with the same backlog key?): {kept} is kept, and "
        "answers to backlog files written by centre {offered} will be refused. If the kiosk "
        "has moved to that centre, enrol it again with a new enrolment code"),
    "sync.log.status_not_saved": (
        "đồng bộ: chưa lưu trạng thái, kho dữ liệu không nhận ghi ({reason})",
        "sync: status not saved, the store refuses writes ({reason})"),
    "sync.log.saved_unreadable": (
        "đồng bộ: {key} đã lưu không đọc được ({value}: {reason}), coi như không có",
        "sync: saved {key} unreadable ({value}: {reason}), taken as absent"),
    "sync.log.rejected": ("đồng bộ: trung tâm từ chối {count} lượt, ví dụ {example}",
                          "sync: centre rejected {count} entries, e.g. {example}"),
    "sync.log.past_retention": (
        "đồng bộ: {count} lượt cũ hơn mốc lưu giữ của trung tâm ({cutoff}): đánh dấu đã "
        "xong, trung tâm không lưu",
        "sync: {count} entries older than the centre's retention cut ({cutoff}): marked "
        "done, not stored there"),
    "sync.log.not_said": ("không nói", "not said"),
    "sync.log.send_clock_dropped": (
        "đồng bộ: trung tâm không còn nhận đồng hồ gửi ({reason}); gửi lại lô đó không kèm",
        "sync: the centre no longer takes the send clock ({reason}); the batch is sent "
        "again without it"),
    "sync.log.unencodable": ("đồng bộ: {count} lượt không mã hoá được để gửi; đã để riêng",
                             "sync: {count} entries cannot be encoded; quarantined"),
    "sync.log.too_large": (
        "đồng bộ: trung tâm báo 413 (quá lớn); từ nay mỗi lô ≤ {entries} lượt, ≤ {bytes} byte",
        "sync: centre said 413; batches now ≤ {entries} entries, ≤ {bytes} bytes"),
    "sync.log.slower": (
        "đồng bộ: trung tâm {why} khi lưu {count} lượt; từ nay mỗi lô ≤ {entries} lượt",
        "sync: the centre {why} storing {count} entries; batches now ≤ {entries} entries"),
    "sync.log.statement_timeout": ("chạy quá thời hạn câu lệnh", "ran past its statement timeout"),
    "sync.log.no_answer": ("không trả lời kịp", "did not answer in time"),
    "sync.log.held_back": (
        "đồng bộ: trung tâm không lưu lượt {entry} ({reason}); các lượt khác gửi trước, "
        "lượt này gửi lại sau {seconds} giây",
        "sync: the centre did not store entry {entry} ({reason}); the rest go first, "
        "it is sent again in {seconds} s"),
    "enrol.log.centre_key_not_kept": (
        "chưa giữ được khoá tệp tồn đọng của trung tâm (sẽ hỏi ở lần liên lạc đầu tiên): "
        "{reason}",
        "the centre's backlog key was not kept (asked at the first contact): {reason}"),
    "enrol.log.not_recorded": (
        "lần đăng ký chưa được ghi vào nhật ký kiểm tra của kho: {reason}",
        "the enrolment was not written to the store's audit log: {reason}"),
    "enrol.log.alert_not_cleared": ("cảnh báo khoá tệp tồn đọng chưa được xoá: {reason}",
                                    "the backlog keys alert was not cleared: {reason}"),
    "certificates.log.not_refreshed": (
        "danh sách tin cậy chưa được làm mới từ trung tâm: {reason}; thử lại sau",
        "trust list not refreshed from the centre: {reason}; tried again later"),
    "certificates.log.not_reloaded": (
        "danh sách tin cậy chưa được đọc lại, vẫn dùng danh sách trước: {reason}",
        "trust list not reloaded, the previous one stays in use: {reason}"),
    "ui.log.language_not_saved": ("không lưu được ngôn ngữ {language} vào {path}: {reason}",
                                  "language {language} not remembered in {path}: {reason}"),
    "ui.log.showing_english": ("{reason}; hiển thị tiếng Anh", "{reason}; showing English"),
    "ui.log.background_failed": ("việc nền {name}: {job} bị lỗi (chi tiết bên dưới)",
                                 "background {name}: {job} failed (details below)"),
    "ui.log.lane_still_running": (
        "đóng máy: việc nền {name} vẫn chạy sau {seconds} giây: {job} — cửa sổ đóng và kho "
        "dữ liệu đã đóng, tiến trình kết thúc khi việc này xong",
        "closing: background {name} still running after {seconds} s: {job} — the window "
        "and the store are closed, the process ends when it does"),
    "ui.log.lane_dropped": (
        "đóng máy: {job} chờ trong việc nền {name} quá {seconds} giây, không được làm — "
        "chưa được ghi, và chưa từng hiện là đã nhận",
        "closing: {job} waited in background {name} past {seconds} s and was not done — "
        "not recorded, and never shown as accepted"),
    "ui.job.read": ("đọc kho dữ liệu", "a read of the store"),
    "ui.job.scan": ("ghi một lượt quét", "recording a scan"),
    "ui.job.manual_entry": ("ghi một lượt nhập tay", "recording a manual entry"),
    "ui.job.audit": ("ghi nhật ký thao tác", "writing the audit log"),
    "ui.job.room_again": ("thử ghi lại khi ổ đĩa đã có chỗ trống",
                          "a write tried again, the disk having room"),
    "ui.job.apply_config": ("áp dụng cấu hình mới", "applying the new configuration"),
    "ui.job.checks": ("kiểm tra máy", "the kiosk's checks"),
    "ui.job.enrol_exchange": ("trao đổi ghi danh với trung tâm",
                              "the enrolment's exchange with the centre"),
    "ui.job.enrol_install": ("lưu ghi danh", "saving the enrolment"),
    "ui.job.enrol_link": ("thử kết nối tới trung tâm", "testing the link to the centre"),
    "ui.job.watch": ("theo dõi thiết bị", "watching a device"),
    "ui.job.push": ("gửi dữ liệu lên trung tâm", "the push to the centre"),
    "ui.job.export": ("ghi tệp tồn đọng", "writing the backlog file"),
    "ui.job.load_answer": ("nạp trả lời của trung tâm", "loading the centre's answer"),
    "ui.job.retry_rejected": ("gửi lại các lượt bị từ chối", "retrying the refused entries"),
    "ui.job.preview": ("ảnh xem trước của camera", "the camera's preview"),
    "ui.job.save_language": ("lưu ngôn ngữ", "saving the language"),
    "ui.job.discover": ("tìm thiết bị", "looking for devices"),
    "ui.job.save_devices": ("lưu danh sách thiết bị", "saving the devices"),
    "ui.log.sync_status_not_read": ("không đọc được trạng thái đồng bộ: {reason}",
                                    "sync status not read: {reason}"),
    "ui.log.no_sound": ("không có âm thanh: thiếu Qt Multimedia ({reason})",
                        "no sound: Qt Multimedia unavailable ({reason})"),
    "ui.log.no_wedge": ("không dùng được máy quét kiểu bàn phím: {reason}",
                        "keyboard-wedge scanners unavailable: {reason}"),
    "central.log.enrolment_refused": ("từ chối đăng ký trạm: {reason}",
                                      "enrolment refused: {reason}"),
    "storage.upgrade_needs_owner": (
        "nâng cấp lược đồ v{old}→v{new} cần chủ sở hữu các bảng, tài khoản {role} không phải "
        "({detail}): chạy kiosk-central init --db <URL của chủ sở hữu> bằng tài khoản chủ sở "
        "hữu các bảng, rồi khởi động lại — chưa thay đổi gì",
        "the schema upgrade v{old}→v{new} needs the tables' owner, which the account {role} "
        "is not ({detail}): run kiosk-central init --db <owner URL> as the tables' owner, "
        "then start again — nothing changed"),
    "storage.upgrade_lock_room": (
        "không nâng cấp được cơ sở dữ liệu: bảng khoá của PostgreSQL đầy (phải khoá cùng lúc "
        "{needed} bảng, phân vùng và chỉ mục; max_locks_per_transaction = {setting}); đặt "
        "max_locks_per_transaction = {enough} trong postgresql.conf, khởi động lại PostgreSQL "
        "rồi chạy lại — chưa thay đổi gì",
        "the database cannot be upgraded: PostgreSQL's lock table is full (it must lock "
        "{needed} tables, partitions and indexes at once; max_locks_per_transaction = "
        "{setting}); set max_locks_per_transaction = {enough} in postgresql.conf, restart "
        "PostgreSQL and run again — nothing was changed"),
    "central.log.upgrade_waits": (
        "đang chờ một tiến trình khác nâng cấp cơ sở dữ liệu trung tâm xong (có thể mất vài "
        "phút với nhiều triệu lượt)",
        "waiting for another process to finish upgrading the centre's database (minutes with "
        "tens of millions of entries)"),
    "central.log.upgrade_waits_for_tables": (
        "nâng cấp cơ sở dữ liệu đang chờ các máy chủ đang chạy làm xong việc của chúng; hãy dừng "
        "các máy chủ chạy phiên bản cũ (systemctl stop kiosk-central)",
        "the database's upgrade waits for the running servers to finish their work: stop the "
        "servers still running the old version (systemctl stop kiosk-central)"),
    "central.log.upgrade_retried": (
        "nâng cấp cơ sở dữ liệu bị từ chối trước khi thay đổi gì ({detail}); thử lại",
        "the database's upgrade was refused before it changed anything ({detail}); trying "
        "again"),
    "central.log.signing_key_replaced": (
        "trạm {kiosk}: khoá ký tệp tồn đọng {old} → {new} (mã đăng ký)",
        "kiosk {kiosk} backlog signing key {old} → {new} (enrolment code)"),
    "central.log.audit_not_written": (
        "trạm {kiosk}: việc đổi khoá ký tệp tồn đọng {old} → {new} không ghi được vào nhật ký "
        "kiểm tra: {reason}",
        "kiosk {kiosk} backlog signing key {old} → {new} not written to the audit log: "
        "{reason}"),
    "central.log.derivation_failed": (
        "một bước tổng hợp bị lỗi (chi tiết bên dưới); thử lại sau {seconds} giây",
        "derivation step failed (details below); trying again in {seconds} s"),
    "central.log.derivation_resumed": ("việc tổng hợp chạy lại, sau {seconds} giây bị hoãn",
                                       "derivation going on again, after {seconds} s put off"),
    "central.log.refused_hours_ignored": (
        "trạm {kiosk}: bỏ qua số lượt bị từ chối của {hours} giờ nằm ngoài khoảng {first} đến "
        "{last} theo đồng hồ của trạm ({count}, các giờ {earliest} đến {latest})",
        "kiosk {kiosk}: refused scans of {hours} hour(s) outside the hours {first} to {last} "
        "of its clock ignored ({count}, hours {earliest} to {latest})"),
    "central.log.token_copied": (
        "trạm {kiosk}: mã truy cập của trạm được dùng từ {machines} máy cùng lúc (mã khởi "
        "động khác nhau), trong đó: mã khởi động {boot}, địa chỉ {address} — có thể mã đã "
        "bị sao chép",
        "kiosk {kiosk}: its token is used from {machines} machines at overlapping times "
        "(different boot ids), among them: boot id {boot}, address {address} — the token "
        "may have been copied"),
    "central.log.refused_hours_cut": (
        "trạm {kiosk}: số lượt bị từ chối của {hours} giờ vượt {most} mỗi giờ, đã cắt xuống "
        "{most} ({count} được khai, các giờ {earliest} đến {latest})",
        "kiosk {kiosk}: refused scans of {hours} hour(s) above {most} an hour cut to it "
        "({count} claimed, hours {earliest} to {latest})"),
    "central.new_checkpoint_hint": (
        "Nếu đúng là điểm mới chưa có trong danh sách: thêm --new-checkpoint",
        "If it really is a new point not yet in the registry: add --new-checkpoint"),
    "central.checkpoint_created": (
        "Đã tạo điểm mới {checkpoint}, chưa có huyện: báo cáo xếp điểm này vào \"không rõ\" "
        "cho đến khi có `kiosk-central checkpoints edit {checkpoint} --district …`",
        "New checkpoint {checkpoint} created with no district: reports count it under "
        "\"unknown\" until `kiosk-central checkpoints edit {checkpoint} --district …`"),
    "central.checkpoint_no_district": (
        "Điểm {checkpoint} chưa có huyện dù danh sách điểm đã có (có lẽ được tạo tự động "
        "trước khi nhập danh sách): báo cáo xếp điểm này vào \"không rõ\" cho đến khi có "
        "`kiosk-central checkpoints edit {checkpoint} --district …`",
        "Checkpoint {checkpoint} has no district though the registry has them (made "
        "automatically before the registry was imported, perhaps): reports count it under "
        "\"unknown\" until `kiosk-central checkpoints edit {checkpoint} --district …`"),
    "central.enrolled": ("Đã đăng ký máy", "Kiosk enrolled"),
    "central.qr_needs_url": (
        "Cần --server-url: địa chỉ trung tâm mà trạm kết nối tới (vd. https://trungtam.vn)",
        "--server-url is needed: the centre's address as the kiosk reaches it "
        "(e.g. https://central.example.vn)"),
    "central.qr_bad_url": ("--server-url {url} không phải địa chỉ http(s)",
                           "--server-url {url} is not an http(s) address"),
    "central.qr_bad_suffix": (
        "--qr {path}: tệp mã QR phải có đuôi .png hoặc .svg",
        "--qr {path}: the QR file's name must end in .png or .svg"),
    "central.qr_plain_http": (
        "Mã QR sẽ trỏ trạm tới {url}, địa chỉ http:// không mã hoá của một máy khác: bí mật "
        "của mã, mã truy cập và dữ liệu của mọi người sẽ đi qua mạng ở dạng đọc được, và bất "
        "kỳ ai trên đường truyền cũng có thể giả làm trung tâm. Chưa tạo gì cả. Dùng địa chỉ "
        "https:// của trung tâm; chỉ trên mạng tin cậy từ đầu đến cuối (phòng thử nghiệm, "
        "VPN) mới thêm --allow-plain-http (trạm khi đó đăng ký bằng `kiosk enrol "
        "--allow-plain-http`)",
        "The QR would point the kiosk at {url}, a plain http:// address of another machine: "
        "the code's secret, the token and people's data would cross the network readable, "
        "and anyone on the path could pose as the centre. Nothing was made. Give the "
        "centre's https:// address; only on a network trusted end to end (a lab, a VPN) add "
        "--allow-plain-http (the kiosk then enrols with `kiosk enrol --allow-plain-http`)"),
    "central.qr_plain_http_allowed": (
        "CẢNH BÁO: mã QR trỏ tới {url}, http:// không mã hoá (--allow-plain-http): bí mật "
        "của mã, mã truy cập và dữ liệu của mọi người sẽ đi qua mạng ở dạng đọc được",
        "WARNING: the QR points at {url}, plain http:// (--allow-plain-http): the code's "
        "secret, the token and people's data will cross the network readable"),
    "central.qr_loopback": (
        "Chú ý: mã QR trỏ tới {url}, chỉ một trạm chạy trên chính máy này mới tới được",
        "Warning: the QR points at {url}; only a kiosk on this very machine reaches it"),
    "central.token_once": ("Mã truy cập, chỉ hiển thị MỘT lần", "Token, shown only ONCE"),
    "central.on_the_kiosk": ("Trên máy kiosk, trong config.toml", "On the kiosk, in config.toml"),
    "central.token_file_hint": (
        "và mã ở trên, chỉ mình nó, trong tệp sync-token cạnh config.toml (chạy: chmod 600 "
        "sync-token); đừng ghi mã vào config.toml",
        "and the token above, alone, in the file sync-token beside config.toml (run: chmod 600 "
        "sync-token); not in config.toml itself"),
    "central.no_kiosks": ("Chưa có máy nào", "No kiosks enrolled"),
    "central.clock_warning": (
        "đồng hồ máy lệch hơn {seconds} giây",
        "kiosk clock off by more than {seconds} s: its scanned_at times are suspect",
    ),
    "central.revoked": ("Đã thu hồi", "Revoked"),
    "central.token_refused_from_now": ("mã truy cập của máy bị từ chối từ nay",
                                       "its token is refused from now on"),
    "central.refused": ("TỪ CHỐI", "REFUSED"),
    "central.cannot_listen": ("không mở được {address}: {error}",
                              "cannot listen on {address}: {error}"),
    "central.worker_ended": (
        "tiến trình phục vụ {pid} đã dừng (mã {status}): dừng cả máy chủ để được khởi động lại",
        "serving process {pid} ended (code {status}): stopping the whole server so that it is "
        "restarted"),
    "central.listening": ("kiosk-central đang chạy tại {url} (cơ sở dữ liệu {db})",
                          "kiosk-central listening on {url} (database {db})"),
    "central.cannot_enrol": ("không đăng ký được máy: {error}", "cannot enrol: {error}"),
    "central.at_checkpoint": ("tại điểm", "at checkpoint"),
    "central.qr_written": ("Mã QR đăng ký, dùng một lần, hết hạn {expires}",
                           "One-time enrolment QR, expires {expires}"),
    "central.or_type": ("Hoặc gõ trên máy kiosk", "Or type on the kiosk"),
    "central.unknown_kiosk": ("không có máy '{kiosk}'", "unknown kiosk '{kiosk}'"),
    "central.token_unknown_kiosk": (
        "không có máy '{kiosk}': máy chưa từng được đăng ký ở trung tâm này, hoặc cơ sở dữ liệu "
        "đã được khôi phục từ bản sao lưu cũ hơn lần đăng ký — đăng ký lại với cùng mã: "
        "`kiosk-central kiosks add --kiosk-id {kiosk} --checkpoint … --name …` (docs/central.md, "
        "\"Restoring the centre from a backup\")",
        "unknown kiosk '{kiosk}': it was never enrolled at this centre, or the database was "
        "restored from a backup older than its enrolment — enrol it again under the same id: "
        "`kiosk-central kiosks add --kiosk-id {kiosk} --checkpoint … --name …` (docs/central.md, "
        "\"Restoring the centre from a backup\")"),
    "central.set_aside": (
        "Đã để riêng {entries} bản ghi của máy {kiosk} gửi từ mã khởi động {boot} (ngày "
        "{days}): không còn tính vào số liệu, báo cáo và truy vết, vẫn được lưu giữ",
        "Set aside {entries} entries of kiosk {kiosk} sent from boot id {boot} (days {days}): "
        "out of counts, reports and traces, kept"),
    "central.set_aside_kept": (
        "Giữ nguyên {kept} bản ghi của nguồn này vì máy {kiosk} cũng đã gửi chúng từ mã khởi "
        "động khác (máy thật gửi sau bản sao nên được trả lời trùng): đó cũng là bản ghi của "
        "máy thật",
        "Kept {kept} of this source's entries in place: kiosk {kiosk} sent them from another "
        "boot id too (the genuine kiosk, sending after the copy, was answered duplicate): "
        "they are the genuine kiosk's entries as well"),
    "central.set_aside_revoke": (
        "Máy sao chép có thể vẫn đang gửi: cấp mã mới cho máy thật (kiosk-central kiosks "
        "token {kiosk} --reason …) để mã bị sao chép bị từ chối. Các lô gửi sau từ mã khởi "
        "động này được để riêng ngay khi nhận. Đưa lại: kiosk-central kiosks bring-back "
        "{kiosk} --source {boot} --reason …",
        "The copy may still be sending: give the genuine kiosk a new token (kiosk-central "
        "kiosks token {kiosk} --reason …) so that the copied one is refused. Batches arriving "
        "later from this boot id are set aside as they arrive. To undo: kiosk-central kiosks "
        "bring-back {kiosk} --source {boot} --reason …"),
    "central.brought_back": (
        "Đã đưa lại {entries} bản ghi của máy {kiosk} từ mã khởi động {boot} (ngày {days}): "
        "được tính và truy vết trở lại",
        "Brought back {entries} entries of kiosk {kiosk} from boot id {boot} (days {days}): "
        "counted and traced again"),
    "central.unknown_source": (
        "máy {kiosk} không có lô nào gửi từ mã khởi động '{boot}' (xem kiosk-central kiosks "
        "sources {kiosk}); không thay đổi gì",
        "kiosk {kiosk} sent no batch from boot id '{boot}' (see kiosk-central kiosks sources "
        "{kiosk}); nothing changed"),
    "central.not_set_aside": (
        "không có gì được để riêng của máy {kiosk} từ mã khởi động '{boot}'; không thay đổi gì",
        "nothing of kiosk {kiosk} is set aside from boot id '{boot}'; nothing changed"),
    "central.set_aside_refused": ("Không thực hiện: {detail}", "Not done: {detail}"),
    "central.already_revoked": ("máy {kiosk} đã bị thu hồi từ trước",
                                "kiosk {kiosk} was already revoked"),
    "central.columns.kiosks": (
        "máy|điểm|trạng thái|số lượt|liên lạc lần cuối|lệch đồng hồ|tên",
        "kiosk|checkpoint|state|entries|last seen|clock offset|name"),
    "central.columns.sources": (
        " |mã khởi động|địa chỉ|nghe lần đầu|nghe lần cuối|chờ gửi",
        " |boot id|address|first heard|last heard|pending"),
    "central.columns.source_batches": (
        "mã khởi động|địa chỉ|số lô|bản ghi nhận|nhận lần đầu|nhận lần cuối",
        "boot id|address|batches|accepted|first received|last received"),
    "central.state.active": ("hoạt động", "active"),
    "central.state.revoked": ("đã thu hồi", "revoked"),
    "central.state.disabled": ("đã khoá", "disabled"),
    "central.state.locked": ("tạm khoá", "locked"),
    "central.more": ("còn {count} nữa", "{count} more"),
    "central.added": ("Đã thêm", "Added"),
    "central.updated": ("Đã sửa", "Updated"),
    "central.wrote": ("Đã ghi", "Wrote"),
    "size.mib": ("{size} MiB", "{size} MiB"),
    "size.kib": ("{size} KiB", "{size} KiB"),
    "central.checkpoints.imported": (
        "{file}: {added} điểm thêm mới, {changed} cập nhật, {unchanged} không đổi",
        "{file}: {added} points added, {changed} updated, {unchanged} unchanged"),
    "central.checkpoints.valid": ("{file}: {count} điểm hợp lệ; chưa lưu gì (--dry-run)",
                                  "{file}: {count} valid points; nothing stored (--dry-run)"),
    "central.checkpoints.closed": (
        "Đã đóng {checkpoint} từ {day}: không còn tính là đã triển khai từ ngày đó",
        "Closed {checkpoint} from {day}: no longer counted as set up from that day"),
    "central.checkpoints.none": ("Chưa có điểm nào", "No checkpoints"),
    "central.columns.checkpoints": (
        "mã điểm|loại|triển khai → đóng|số máy|tên (xã / huyện / tỉnh)",
        "checkpoint|kind|set up → closed|kiosks|name (commune / district / province)"),
    "central.users.added": ("Đã thêm người dùng", "User added"),
    "central.users.change_at_sign_in": (
        "{name} sẽ phải đổi mật khẩu này ở lần đăng nhập đầu tiên (mật khẩu của chính người "
        "dùng: thêm --own-password)",
        "{name} changes this password at the first sign-in (a user's own password: add "
        "--own-password)"),
    "central.users.none": (
        "Chưa có người dùng: kiosk-central users add TÊN --role admin --own-password",
        "No users yet: kiosk-central users add NAME --role admin --own-password"),
    "central.columns.users": ("tên|vai trò|huyện|trạng thái|tạo lúc",
                              "name|role|district|state|created"),
    "central.users.already_disabled": ("{name} đã bị khoá từ trước",
                                       "{name} was already disabled"),
    "central.users.role_set": (
        "Đã đổi {name} thành {role}; các phiên của người này đã kết thúc",
        "{name} is now {role}; their sessions ended"),
    "central.users.role_kept": ("{name} đã là {role}: không có gì thay đổi",
                                "{name} is already {role}: nothing changed"),
    "central.users.disabled": (
        "Đã khoá {name}: không đăng nhập được, các phiên đã kết thúc, các trình duyệt đã "
        "đăng nhập không còn được tin cậy",
        "Disabled {name}: logins refused, sessions ended, the browsers it signed in on no "
        "longer trusted"),
    "central.users.password_reset": (
        "Đã đặt lại mật khẩu của {name}: hết tạm khoá, các phiên đã kết thúc, các trình "
        "duyệt đã đăng nhập không còn được tin cậy",
        "Password reset for {name}: lock lifted, sessions ended, the browsers it signed in on "
        "no longer trusted"),
    "central.users.unlocked": (
        "Đã gỡ tạm khoá {name}: các lần sai mật khẩu đã được xoá, các trình duyệt đã đăng "
        "nhập không còn được tin cậy",
        "Unlocked {name}: its wrong passwords forgotten, the browsers it signed in on no "
        "longer trusted"),
    "central.users.not_locked": (
        "{name} không bị tạm khoá; các lần sai mật khẩu đã được xoá, các trình duyệt đã "
        "đăng nhập không còn được tin cậy",
        "{name} was not locked; its wrong passwords forgotten, the browsers it signed in on "
        "no longer trusted"),
    "central.users.enabled": ("Đã mở lại {name}: đăng nhập được bằng mật khẩu của mình",
                              "Enabled {name}: it signs in with its password again"),
    "central.users.not_disabled": ("{name} không bị khoá: không có gì thay đổi",
                                   "{name} was not disabled: nothing changed"),
    "central.users.still_disabled": (
        "{name} vẫn đang bị khoá: chưa đăng nhập được cho đến khi mở lại "
        "(kiosk-central users enable {name})",
        "{name} is still disabled: its logins are refused until it is enabled "
        "(kiosk-central users enable {name})"),
    "central.users.password": ("Mật khẩu", "Password"),
    "central.users.again": ("Nhập lại", "Again"),
    "central.visits": ("lượt có mặt", "visits"),
    "central.contacts": ("người tiếp xúc", "contacts"),
    "central.reason": ("lý do", "reason"),
    "central.from": ("từ", "from"),
    "central.audit": ("nhật ký", "audit"),
    "central.audit_empty": ("Nhật ký trống", "Nothing recorded"),
    "central.import.storage_error": (
        "lỗi lưu trữ khi nhập {name}: {error}; các lượt đã lưu được giữ, nhập lại tệp để "
        "hoàn tất",
        "storage error while importing {name}: {error}; entries stored so far are kept, "
        "import the file again to finish"),
    "central.import.not_attempted": (
        "đã dừng ở lỗi lưu trữ đó: {count} tệp sau chưa được nhập, nhập lại sau khi sửa lỗi",
        "stopped at that storage error: the {count} file(s) after it were not imported, "
        "import them once it is fixed"),
    "central.import.nothing_stored": ("không lượt nào của tệp này được lưu",
                                      "nothing from this file was stored"),
    "central.import.changed": (
        "tệp đã thay đổi khi đang đọc; {answered} lượt trước chỗ đó đã được xử lý ({accepted} "
        "mới, {duplicate} đã có, {rejected} bị từ chối), nhập lại một bản tốt để hoàn tất",
        "the file changed while it was read; the {answered} entries before that point were "
        "answered ({accepted} accepted, {duplicate} duplicate, {rejected} rejected), import "
        "a good copy again to finish"),
    "central.import.done": (
        "{name}: máy {kiosk}, {entries} lượt — {accepted} mới, {duplicate} đã có, "
        "{rejected} bị từ chối",
        "{name}: kiosk {kiosk}, {entries} entries — {accepted} accepted, {duplicate} "
        "duplicate, {rejected} rejected"),
    "central.import.done_revoked": (
        "{name}: máy {kiosk}, {entries} lượt — {accepted} mới, {duplicate} đã có, "
        "{rejected} bị từ chối, {after} bị từ chối vì ghi từ lúc trạm bị thu hồi ({at}) "
        "trở đi",
        "{name}: kiosk {kiosk}, {entries} entries — {accepted} accepted, {duplicate} "
        "duplicate, {rejected} rejected, {after} refused: taken at or after the kiosk's "
        "revocation ({at})"),
    "central.import.rejected": ("{count} lượt bị từ chối, như lượt đầu: {reason}",
                                "{count} entries rejected, like the first: {reason}"),
    "central.import.rejected_one": ("1 lượt bị từ chối: {reason}", "1 entry rejected: {reason}"),
    "central.import.rejected_more": (
        "… và lý do khác ({codes}): thêm {count} lượt bị từ chối, đủ cả trong tệp trả lời "
        ".refused",
        "… other reasons ({codes}): {count} more rejected, each in the .refused answer"),
    "central.import.retired_key": (
        "ký bằng khoá cũ {fingerprint} của trạm {kiosk}, thôi dùng lúc {at}: {after} lượt ghi "
        "từ lúc đó trở đi và {before} lượt ghi trước lúc khoá được đăng ký ({registered}) bị "
        "từ chối (đã ghi nhật ký kiểm tra)",
        "signed with kiosk {kiosk}'s old signing key {fingerprint}, retired {at}: {after} "
        "entries taken at or after then and {before} taken before the key was registered "
        "({registered}) refused (written to the audit log)"),
    "central.import.entries_refused": (
        "{count} lượt của tệp này bị từ chối: chúng không có ở trung tâm; trên trạm chúng "
        "vẫn chờ gửi (đánh dấu đã xuất) — lý do ở trên",
        "{count} entries of this file were refused: they are not at the centre; on the "
        "kiosk they stay pending (labelled exported) — the reasons are above"),
    "central.import.refusals_written": (
        "mã và lý do của {count} lượt bị từ chối đã ghi vào {path} (cùng xác nhận {held} "
        "lượt trung tâm đã có): mang tệp này về trạm, chạy `kiosk sync load-refusals {path}`",
        "the ids and reasons of the {count} refused entries are written to {path} (with the "
        "centre's receipt for the {held} it holds): carry it back to the kiosk and run "
        "`kiosk sync load-refusals {path}`"),
    "central.import.answer_written": (
        "xác nhận {count} lượt trung tâm đã có được ghi vào {path}: mang tệp này về trạm, "
        "chạy `kiosk sync load-refusals {path}` để chúng rời khỏi danh sách chờ của trạm",
        "the centre's receipt for the {count} entries it holds is written to {path}: carry "
        "it back to the kiosk and run `kiosk sync load-refusals {path}` for them to leave "
        "its pending set"),
    "central.import.refusals_kept": (
        "{path} giữ nguyên: nó trả lời đầy đủ tệp này từ lần nhập trước, lần nhập này dừng "
        "giữa chừng nên không ghi đè",
        "{path} kept: it answers this file in full from an earlier import; this import "
        "stopped part-way, so does not replace it"),
    "central.import.filed_at_arrival": (  # a push's sync.filed_at_arrival: no NTP offline
        "{count} lượt có giờ quét muộn hơn lúc nhập (đồng hồ máy {kiosk} chạy nhanh): đã lưu, "
        "ghi vào lúc nhập, giờ quét không chắc chắn — ở lần tới điểm sau, chỉnh đồng hồ máy "
        "bằng tay (`sudo date -s \"YYYY-MM-DD HH:MM\"`, rồi `sudo hwclock -w`)",
        "{count} entries dated after they were imported (kiosk {kiosk}'s clock runs ahead): "
        "stored, filed when imported, their scan time uncertain — at the next visit, set the "
        "kiosk's clock by hand (`sudo date -s \"YYYY-MM-DD HH:MM\"`, then `sudo hwclock -w`)"),
    "central.import.refusals_unwritten": (  # exit 1: the round trip is not done
        "không ghi được câu trả lời của trung tâm vào {path}: {reason} — trạm không biết được "
        "trung tâm đã có và đã từ chối những lượt nào (trên trạm chúng vẫn chờ gửi, không mất "
        "gì). Dọn chỗ trên USB (hoặc thêm --refusals-to THƯ_MỤC) rồi nhập lại tệp: không "
        "lượt nào bị lưu hai lần",
        "the centre's answer could not be written to {path}: {reason} — the kiosk cannot "
        "learn which entries the centre holds or refused (they stay pending there, nothing "
        "is lost). Make room on the stick (or give --refusals-to DIR) and import the file "
        "again: nothing is stored twice"),
    "central.purge.raw_kept": (
        "Không xoá dữ liệu thô: chưa đặt thời hạn lưu (kiosk-central retention --days N "
        "--reason \"…\")",
        "raw entries kept: no retention period (kiosk-central retention --days N "
        "--reason \"…\")"),
    "central.purge.identities_kept": (
        "Không xoá thông tin cá nhân: chưa đặt thời hạn (kiosk-central retention "
        "--personal-days N --reason \"…\")",
        "identities kept: no personal retention period (kiosk-central retention "
        "--personal-days N --reason \"…\")"),
    "central.purge.too_short": (
        "{option} {days}: phải giữ ít nhất {least} ngày (lượt gửi muộn, truy vết)",
        "{option} {days}: keep at least {least} days (late uploads, tracing)"),
    "central.purge.too_long": ("{option} {days}: tối đa {most} ngày (0 để giữ tất cả)",
                               "{option} {days}: at most {most} days (0 keeps everything)"),
    "central.purge.negative": ("{option} {days}: cần 0 (giữ tất cả) hoặc một số ngày",
                               "{option} {days}: expected 0 (keep everything) or a number of "
                               "days"),
    "purge.log_kept": (  # the kiosk's purge (kiosk/store.py) and the centre's
        "Nhật ký -wal của {path} chưa được làm trống vì đang có phần khác (của chương trình này "
        "hoặc chương trình khác) đọc nó: bản cũ của các lượt vừa xoá còn trong đó tới lần ghi "
        "sổ (checkpoint) sau",
        "The -wal log of {path} was not emptied, a reader (another part of this program or "
        "another program) is still in it: the old "
        "copies of the entries just removed stay in it until the next checkpoint"),
    "central.purge.upgrade_copy_waiting": (
        "{path}: bản sao cơ sở dữ liệu trước nâng cấp ({made}), chứa danh tính mọi lượt lúc "
        "đó; chỉ để quay lại phiên bản cũ. Tự xoá từ {day} (thời hạn lưu) nếu cơ sở dữ liệu "
        "được kiểm tra là tốt",
        "{path}: a copy of the database made before an upgrade ({made}), holding the "
        "identities of every entry then; kept only to go back to the old release. Deleted "
        "by the purge from {day} (the retention) once the database is checked sound"),
    "central.purge.upgrade_copy_unsound": (
        "{path}: bản sao trước nâng cấp đã quá thời hạn lưu nhưng được giữ lại: kiểm tra "
        "toàn vẹn cơ sở dữ liệu đã nâng cấp (PRAGMA quick_check) không đạt — có thể cần "
        "quay lại bằng bản sao này (docs/central.md, \"Upgrading\")",
        "{path}: the copy made before the upgrade is past the retention but kept: the "
        "upgraded database failed its integrity check (PRAGMA quick_check) — going back may "
        "need this copy (docs/central.md, \"Upgrading\")"),
    "central.purge.erased": (
        "Đã xoá tên, số giấy tờ, điện thoại và ngày sinh của các lượt trước {cutoff} ({count} "
        "lượt); số liệu và báo cáo không đổi",
        "Erased names, document numbers, phones and birth dates of entries before {cutoff} "
        "({count} entries); counts and reports unchanged"),
    "central.trace_limit": ("Giới hạn truy vết: {limit} lần mỗi giờ cho mỗi người dùng",
                            "Trace limit: {limit} an hour per user"),
    "central.trace_unlimited": ("Giới hạn truy vết: không giới hạn", "Trace limit: none"),
    "central.retention.raw": ("Dữ liệu thô", "Raw entries"),
    "central.retention.identities": (
        "Thông tin cá nhân (tên, số giấy tờ, điện thoại, ngày sinh)",
        "Identities (names, document numbers, phones, birth dates)"),
    "central.retention.days": ("{days} ngày", "{days} days"),
    "central.retention.forever": ("mãi mãi", "forever"),
    "central.retention.longer": (
        "{option} {days}: giữ dữ liệu lâu hơn hiện nay ({now}; 0 là mãi mãi): thêm --reason "
        "\"…\" (ghi vào nhật ký kiểm tra); chưa thay đổi gì",
        "{option} {days}: keeps data longer than now ({now}; 0 is forever): add --reason "
        "\"…\" (written to the audit log); nothing changed"),
    "central.retention.shorter": (
        "{option} {days}: giữ dữ liệu ngắn hơn hiện nay ({now}; 0 là mãi mãi), lần xoá hằng "
        "ngày sẽ xoá dữ liệu còn đang được giữ: thêm --reason \"…\" (ghi vào nhật ký kiểm "
        "tra); chưa thay đổi gì",
        "{option} {days}: keeps data less long than now ({now}; 0 is forever), and the daily "
        "purge then removes what is still kept: add --reason \"…\" (written to the audit "
        "log); nothing changed"),
    "central.purge.shorter": (
        "{option} {days}: ngắn hơn thời hạn đã đặt ({now}; 0 là mãi mãi; xoá một lượt là xoá cả "
        "thông tin cá nhân trong đó), xoá dữ liệu còn phải giữ: thêm --reason \"…\" (ghi vào "
        "nhật ký kiểm tra); chưa xoá gì",
        "{option} {days}: shorter than a retention setting ({now}; 0 is forever; removing an "
        "entry removes its identity too), it destroys data the setting keeps: add --reason "
        "\"…\" (written to the audit log); nothing removed"),
    "central.retention.applied": (
        "Áp dụng khi chạy kiosk-central purge (hằng ngày, kiosk-central-report.timer)",
        "Applied by kiosk-central purge (daily, kiosk-central-report.timer)"),
    "central.purge.entries": (
        "Đã xoá dữ liệu gốc trước {cutoff} ({count} lượt); báo cáo vẫn giữ số liệu",
        "Purged raw entries before {cutoff} ({count} entries); reports keep their counts"),
    "central.purge.partitions": (
        "Đã xoá dữ liệu gốc trước {cutoff} ({count} phân vùng); báo cáo vẫn giữ số liệu",
        "Purged raw entries before {cutoff} ({count} partitions); reports keep their counts"),
    "central.timezone.set": (
        "Múi giờ {zone}: {count} lượt được xếp lại theo ngày địa phương (khởi động lại các "
        "tiến trình `kiosk-central serve`)",
        "Time zone {zone}: {count} entries refiled under their local days (restart "
        "`kiosk-central serve` processes)"),
    "central.report.say_format": ("-o {path}: cần --format {formats}",
                                  "-o {path}: say --format {formats}"),
    "central.not_derived": (
        "Chưa tính hết: {pending} bản ghi đang chờ xử lý, {set_aside} bản ghi bị để riêng vì "
        "lỗi (xem `kiosk-central derivation`); số người, lượt có mặt và người tiếp xúc có "
        "thể thiếu",
        "Not complete: {pending} entries still to process, {set_aside} set aside after an "
        "error (see `kiosk-central derivation`); people, visits and contacts may be short"),
    "central.deriving_first": (
        "Đang xử lý trước {pending} bản ghi chưa được tính (khoảng 1 giây cho mỗi 20.000)…",
        "Processing {pending} entries not derived yet first (about 1 s per 20,000)…"),
    "central.derivation.status": (
        "{pending} bản ghi đang chờ xử lý, {set_aside} bản ghi bị để riêng vì lỗi",
        "{pending} entries still to process, {set_aside} set aside after an error"),
    "central.derivation.part": (
        "#{seq} máy {kiosk_id}: {entries} bản ghi (đầu tiên {first_entry}), để riêng lúc "
        "{set_aside_at}: {error}",
        "#{seq} kiosk {kiosk_id}: {entries} entries (first {first_entry}), set aside at "
        "{set_aside_at}: {error}"),
    "central.derivation.reports_to_remake": (
        "Báo cáo đã lập cho {days} chưa tính các bản ghi vừa thử lại: lập lại bằng "
        "`kiosk-central report daily --date NGÀY --out-dir THƯ_MỤC` cho từng ngày (và "
        "`report monthly`), hoặc lần sau thử lại bằng "
        "`kiosk-central derivation --retry --out-dir THƯ_MỤC`",
        "Reports made for {days} do not count the entries just retried: make them again "
        "with `kiosk-central report daily --date DAY --out-dir DIR` for each day (and "
        "`report monthly`), or retry with `kiosk-central derivation --retry --out-dir DIR` "
        "next time"),
    "central.derivation.no_out_dir": (
        "--out-dir {path}: không có thư mục này; chưa thử lại gì (thư mục có các tệp báo cáo "
        "cần lập lại)",
        "--out-dir {path}: no such folder; nothing retried (the folder whose report files to "
        "make again)"),
    "central.derivation.out_dir_with_retry": (
        "--out-dir đi cùng --retry: thư mục có các tệp báo cáo cần lập lại",
        "--out-dir goes with --retry: the folder whose report files to make again"),
    "central.report.not_first_day": (
        "Hôm nay {day} (múi giờ của trung tâm, {zone}) không phải ngày 1: không lập báo cáo "
        "tháng",
        "Today {day} (the centre's time zone, {zone}) is not the 1st: no monthly report made"),
    "central.report.not_due_yet": (
        "Báo cáo tháng {month} đến hạn lúc {due} (múi giờ của trung tâm, {zone}): chưa lập, "
        "bản ghi của tối cuối tháng còn đang đến",
        "The {month} monthly report is due at {due} (the centre's time zone, {zone}): not "
        "made yet, entries of the month's last evening are still arriving"),
    "central.report.month_held": (
        "Báo cáo tháng {month} đã có trong {path} (lập lúc {made_at}), từ đó không có bản ghi "
        "hay số quét lỗi nào của tháng đến trung tâm, danh mục điểm không sửa: không lập lại",
        "The {month} monthly report is already in {path} (made at {made_at}) and no entry or "
        "refusal count of the month has reached the centre since, nor was the registry "
        "corrected: not made again"),
    "central.report.month_remade": (
        "Báo cáo tháng {month} trong {path} lập lúc {made_at} có thể thiếu bản ghi hay số quét "
        "lỗi của tháng đến trung tâm sau lúc đó, hoặc chưa theo danh mục điểm đã sửa: lập lại",
        "The {month} monthly report in {path}, made at {made_at}, may lack entries or refusal "
        "counts of the month that reached the centre since, or a registry correction: "
        "made again"),
    "central.report.earlier_kept": ("Giữ bản trước tại", "Earlier version kept as"),
    "central.report.xlsx_binary": ("XLSX là tệp nhị phân: dùng -o TỆP hoặc --out-dir THƯ_MỤC",
                                   "XLSX is binary: use -o FILE or --out-dir DIR"),
    # -- trust lists: `kiosk certificates` and `kiosk-central certificates`
    "certificates.not_imported": ("Chưa nhập: {error}", "not imported: {error}"),
    "certificates.skipped": ("bỏ qua {reason}", "skipped {reason}"),
    "certificates.imported": ("Đã nhập {signers} khoá ký ({countries}) vào {path}",
                              "imported {signers} signers ({countries}) into {path}"),
    "certificates.imported_centre": (
        "Đã nhập {signers} khoá ký của {countries} nước; các máy lấy về ở lần làm mới tới",
        "imported {signers} signers from {countries} countries; kiosks fetch it at their "
        "next refresh"),
    "certificates.none_here": (
        "Chưa có danh sách khoá dùng được: {error}\nNạp bằng: kiosk certificates import TỆP",
        "no usable trust list: {error}\nload one with: kiosk certificates import FILE"),
    "certificates.status": (
        "danh sách khoá  {path}\nnhập lúc        {at} ({age}; tối đa {most}: "
        "{state})\nkhoá ký         {signers} của {countries} nước: {per_country}\n"
        "chính sách      {policy}",
        "trust list  {path}\nimported    {at} ({age}; at most {most}: {state})\n"
        "signers     {signers} from {countries} countries: {per_country}\npolicy      {policy}"),
    "certificates.days": ("{days} ngày", "{days} days"),
    "certificates.current": ("còn hạn", "current"),
    "certificates.age_unknown": (
        "không rõ đã bao lâu; các chứng nhận vẫn được kiểm tra với danh sách này",
        "age unknown; certificates are still checked against it"),
    "certificates.too_old": ("QUÁ CŨ: kết quả kiểm tra sẽ báo 'danh sách khoá quá cũ'",
                             "TOO OLD: verdicts say 'trust list too old'"),
    "certificates.import_again": (
        "CẦN NHẬP LẠI: đồng hồ trạm chỉ sai lúc nhập nên không rõ danh sách đã cũ bao lâu; kết "
        "quả kiểm tra sẽ báo 'danh sách khoá quá cũ' cho đến khi nhập lại",
        "IMPORT IT AGAIN: the kiosk's clock was wrong when it was imported, so how old it is "
        "is unknown; verdicts say 'trust list too old' until it is imported again"),
    "certificates.import_again_at_centre": (
        "CẦN NHẬP LẠI Ở TRUNG TÂM: đồng hồ máy chủ trung tâm chỉ sai lúc nhập nên không rõ danh "
        "sách đã cũ bao lâu; kết quả kiểm tra sẽ báo 'danh sách khoá quá cũ' cho đến khi trung "
        "tâm nhập lại (kiosk-central certificates import) với đồng hồ đúng",
        "IMPORT IT AGAIN AT THE CENTRE: the centre's clock was wrong when it imported the list, "
        "so how old it is is unknown; verdicts say 'trust list too old' until the centre "
        "imports it again (kiosk-central certificates import) with its clock right"),
    "certificates.columns": ("mã khoá|nước|hạn đến|được ký|chủ thể",
                             "key id|country|valid until|may sign|subject"),
    "certificates.unusable": ("KHÔNG DÙNG ĐƯỢC: {error}", "UNUSABLE: {error}"),
    "certificates.every_kind": ("mọi loại", "every kind"),
    "certificates.not_refreshed": ("Chưa làm mới: {error}", "not refreshed: {error}"),
    "certificates.refreshed": ("Đã cập nhật: {signers} khoá ký", "updated: {signers} signers"),
    "certificates.already_current": ("Đã là bản mới nhất", "already current"),
    "certificates.none_at_centre": (
        "Chưa có danh sách khoá: kiosk-central certificates import TỆP",
        "no trust list: kiosk-central certificates import FILE"),
    "certificates.centre_status": (
        "nhập lúc {at} ({days} ngày trước), {signers} khoá ký, ETag {etag}",
        "imported {at} ({days} days ago), {signers} signers, ETag {etag}"),
    "central.refused_file": ("TỪ CHỐI", "REFUSED"),
    "central.no_signing_key": ("{kiosk}: chưa đăng ký khoá ký tệp tồn đọng",
                               "{kiosk}: no backlog signing key registered"),
    "central.signing_key": ("{kiosk}: khoá ký {fingerprint} (đăng ký {at}) {key}",
                            "{kiosk}: signing key {fingerprint} (registered {at}) {key}"),
    "central.signing_key_refused": ("không đổi được khoá ký: {detail}",
                                    "signing key not changed: {detail}"),
    "central.signing_key_changed": (
        "Đã đổi khoá ký tệp tồn đọng của {kiosk}: {change} (đã ghi nhật ký kiểm tra)",
        "Backlog signing key of {kiosk} changed: {change} (written to the audit log)"),
    "central.signing_key_retired": (
        "khoá ký cũ {fingerprint}, thôi dùng lúc {at} ({reason})",
        "retired signing key {fingerprint}, retired {at} ({reason})"),
    "central.signing_key_still_importable": (
        "Tệp tồn đọng trạm {kiosk} đã ký bằng khoá cũ {fingerprint} vẫn nhập được với "
        "`kiosk-central import --allow-retired-key --reason \"…\"`: các lượt ghi trước lúc "
        "này được lưu, lượt ghi từ lúc này trở đi bị từ chối. Nếu máy bị mất cắp: đặt lại "
        "bằng --compromised (khoá cũ bị quên) và thu hồi trạm (kiosk-central kiosks revoke "
        "{kiosk})",
        "Backlog files kiosk {kiosk} signed with its old key {fingerprint} stay importable "
        "with `kiosk-central import --allow-retired-key --reason \"…\"`: their entries taken "
        "before now are stored, those taken from now on refused. If the machine was stolen: "
        "reset with --compromised (the old key is forgotten) and revoke the kiosk "
        "(kiosk-central kiosks revoke {kiosk})"),
    "central.compromised_alone": ("--compromised chỉ dùng cùng --reset hoặc --set",
                                  "--compromised goes with --reset or --set"),
    "central.signing_key_forgotten": (
        "Khoá ký cũ của trạm {kiosk} đã bị quên ({count}): tệp ký bằng chúng bị từ chối, kể "
        "cả với --allow-retired-key. Nếu máy bị mất cắp, thu hồi trạm (kiosk-central kiosks "
        "revoke {kiosk})",
        "Kiosk {kiosk}'s old signing keys are forgotten ({count}): files signed with them "
        "are refused, even with --allow-retired-key. If the machine was stolen, revoke the "
        "kiosk (kiosk-central kiosks revoke {kiosk})"),
    "central.token_not_issued": ("không cấp mã truy cập mới: {detail}",
                                 "no new token issued: {detail}"),
    "central.token_reissued": (
        "Đã cấp mã truy cập mới cho máy {kiosk}, vẫn giữ mã máy: mã cũ bị từ chối từ nay "
        "(đã ghi nhật ký kiểm tra)",
        "New token issued for kiosk {kiosk}, same kiosk id: the old one is refused from now "
        "on (written to the audit log)"),
    "central.token_by_code": (
        "Máy {kiosk}: mã truy cập cũ bị từ chối từ nay; máy nhận mã mới khi dùng mã đăng ký "
        "dưới đây (`kiosk enrol`), vẫn giữ mã máy (đã ghi nhật ký kiểm tra)",
        "Kiosk {kiosk}: its old token is refused from now on; it gets a new one by using "
        "the enrolment code below (`kiosk enrol`), keeping its id (written to the audit log)"),
    "central.revocation_lifted": (
        "Máy {kiosk} không còn bị thu hồi (đã thu hồi lúc {at}); các mã đăng ký cũ chưa "
        "dùng không dùng được nữa",
        "Kiosk {kiosk} is no longer revoked (revoked {at}); its earlier unused enrolment "
        "codes can no longer be used"),
    "central.import.reason_alone": (
        "--reason chỉ dùng cùng --allow-revoked hoặc --allow-retired-key",
        "--reason goes with --allow-revoked or --allow-retired-key"),
    "central.import.bad_reason": (
        "--allow-revoked / --allow-retired-key cần lý do: {detail}",
        "--allow-revoked / --allow-retired-key needs a reason: {detail}"),
    "central.restored_kiosks": (
        "Các trạm có lần gửi không còn ở đây: {kiosks}",
        "The kiosks whose uploads are not here: {kiosks}"),
    "central.restored_database": (
        "CẢNH BÁO: cơ sở dữ liệu này chỉ có các lần gửi nhận đến {newest}, nhưng trung tâm đã "
        "nhận các lần gửi đến {marked} (ghi trong {path}): cơ sở dữ liệu được khôi phục từ một "
        "bản sao cũ hơn? Các lượt nhận trong khoảng đó không còn ở đây, mà các trạm đã coi là "
        "gửi xong và sẽ không tự gửi lại: trên mỗi trạm chạy `kiosk sync resend --since "
        "{since}` rồi `kiosk sync push` (docs/central.md, \"Restoring the centre from a "
        "backup\")",
        "WARNING: this database holds uploads received until {newest}, but this centre had "
        "received uploads until {marked} (noted in {path}): was it restored from an older "
        "copy? The entries received in between are not here, and the kiosks count them "
        "delivered and will not send them again by themselves: on every kiosk run `kiosk sync "
        "resend --since {since}`, then `kiosk sync push` (docs/central.md, \"Restoring the "
        "centre from a backup\")"),
    "central.backlog_key_unset": (
        "Chưa chỉ định khoá tệp tồn đọng (--backlog-key): trạm không được cấp khoá, không nhập "
        "được tệp tồn đọng",
        "No backlog key given (--backlog-key): kiosks are given none, and no backlog file "
        "can be imported"),
    "central.init_already": (
        "Đã có cơ sở dữ liệu trung tâm tại {where}: không tạo gì",
        "A centre database is already at {where}: nothing made"),
    "central.init_centre_id": (
        "Mã trung tâm: {id} (các trạm ghi nhớ mã này và từ chối câu trả lời tệp tồn đọng "
        "do trung tâm khác ghi)",
        "Centre id: {id} (kiosks keep it, and refuse an answer to a backlog file another "
        "centre wrote)"),
    "central.init_upgraded": (
        "Đã nâng cấp cơ sở dữ liệu trung tâm tại {where} từ lược đồ v{old} lên v{new}",
        "Upgraded the centre database at {where} from schema v{old} to v{new}"),
    "central.init_upgrade_backup": (
        "Cơ sở dữ liệu như trước khi nâng cấp được giữ tại {path} (lược đồ v{old}): để quay "
        "lại phiên bản cũ, dừng máy chủ và đặt lại tệp đó (docs/central.md, \"Upgrading\"); "
        "nó chứa danh tính: lần xoá hằng ngày tự xoá nó khi quá thời hạn lưu",
        "The database as it was before the upgrade is kept at {path} (schema v{old}): to go "
        "back to the old release, stop the server and put it back (docs/central.md, "
        "\"Upgrading\"); it holds identities: the daily purge deletes it once past the "
        "retention"),
    "central.database_created": (
        "Đã tạo cơ sở dữ liệu trung tâm mới, còn trống, tại {where}",
        "Started a new, empty centre database at {where}"),
    "central.no_registry": (
        "Trung tâm {where} chưa có điểm kiểm soát, trạm hay bản ghi nào: báo cáo hay truy "
        "vết ở đây chỉ có thể ra số 0, nên không làm. Nhập danh sách điểm trước "
        "(`kiosk-central checkpoints import TỆP`), hoặc kiểm tra --db / KIOSK_CENTRAL_DB",
        "The centre {where} holds no checkpoint, kiosk or entry: a report or trace here "
        "could only say 0, so none is made. Import the registry first (`kiosk-central "
        "checkpoints import FILE`), or check --db / KIOSK_CENTRAL_DB"),
    "central.no_backlog_key": ("Không dùng được khoá tệp tồn đọng của trung tâm",
                               "The centre's backlog key cannot be used"),
    # -- backlog files (kiosk.sync.backlog): writing, opening and checking them
    "backlog.cannot_open": ("không mở được tệp: {detail}",
                            "cannot open: {detail}"),
    "backlog.old_format": (
        "tệp tồn đọng định dạng cũ (v1, ký bằng khoá mà trung tâm không còn giữ): bị "
        "từ chối. Trên trạm, cập nhật phần mềm rồi xuất lại bằng `kiosk sync export --to …`: "
        "các bản ghi vẫn chờ gửi trên trạm cho tới khi trung tâm có chúng",
        "an old-format backlog file (v1, signed with a key the centre no longer "
        "keeps): refused. On the kiosk, update the software and export again with `kiosk "
        "sync export --to …`: the entries stay pending on the kiosk until the centre has "
        "them"),
    "backlog.not_backlog": ("không phải tệp tồn đọng của trạm",
                            "not a kiosk backlog file"),
    "backlog.unsupported": (
        "định dạng «{found}» không được chương trình này hỗ trợ; hãy cập nhật",
        "format '{found}' is not supported by this program; upgrade it"),
    "backlog.other_centre": (
        "tệp được mã hoá cho khoá trung tâm {theirs}, không phải khoá của trung tâm "
        "này ({ours}): bị từ chối. Trạm đã nhận khoá của trung tâm khác?",
        "the file is encrypted to centre key {theirs}, not this centre's ({ours}): "
        "refused. Did the kiosk get another centre's key?"),
    "backlog.empty": (
        "tệp trống (0 byte: chép dở?): bị từ chối; chép lại tệp từ trạm",
        "the file is empty (0 bytes: copied part-way?): refused; copy it from the kiosk "
        "again"),
    "backlog.truncated": (
        "tệp bị cắt cụt (thiếu phần cuối): bị từ chối; chép lại tệp từ trạm",
        "the file is cut off (its last part is missing): refused; copy it from the "
        "kiosk again"),
    "backlog.damaged": (
        "phần {part} không giải mã được — tệp bị sửa hoặc hỏng: bị từ chối",
        "part {part} cannot be decrypted — the file was altered or damaged: refused"),
    "backlog.bad_ephemeral_key": (
        "khoá mã hoá ghi ở đầu tệp không dùng được — tệp bị sửa hoặc được làm giả: bị "
        "từ chối",
        "the file's encryption key cannot be used — the file was altered or crafted: "
        "refused"),
    "backlog.bad_manifest": ("không đọc được bản kê của tệp: bị từ chối",
                             "unreadable manifest: refused"),
    "backlog.bad_signature": (
        "chữ ký không khớp khoá ký đã đăng ký của trạm {kiosk} ({registered}; tệp "
        "ghi {claimed}): tệp bị sửa, hoặc không do trạm đó viết: bị từ chối",
        "the signature does not match kiosk {kiosk}'s registered signing key "
        "({registered}; the file names {claimed}): the file was altered, or it was not "
        "written by that kiosk: refused"),
    "backlog.unknown_signing_key": (
        "chữ ký không khớp khoá ký đã đăng ký của trạm {kiosk} ({registered}), cũng không "
        "khớp khoá cũ nào trung tâm giữ: tệp ghi khoá {claimed}, trung tâm này không giữ khoá "
        "đó cho trạm (chưa từng có, hoặc đã quên vì máy bị mất cắp) — tệp bị sửa, hoặc không "
        "do trạm đó viết: bị từ chối",
        "the signature does not match kiosk {kiosk}'s registered signing key ({registered}), "
        "nor any old key of it this centre keeps: the file names {claimed}, a key this "
        "centre does not hold for it (never had, or forgot as compromised) — the file was "
        "altered, or it was not written by that kiosk: refused"),
    "backlog.bad_retired_signature": (
        "chữ ký không khớp khoá ký cũ {claimed} mà tệp ghi, khoá trạm {kiosk} dùng tới lúc "
        "{at}: tệp bị sửa, hoặc không do trạm đó viết: bị từ chối",
        "the signature does not match the file's signing key {claimed}, which kiosk {kiosk} "
        "held until {at} (retired): the file was altered, or it was not written by that "
        "kiosk: refused"),
    "backlog.changed": (
        "dữ liệu bản ghi khác với phần đã ký (bị sửa hoặc cắt): bị từ chối",
        "the entry data differs from what was signed (altered or cut): refused"),
    "backlog.wrong_count": ("có {found} bản ghi, bản kê ghi {expected}: bị từ chối",
                            "{found} entries, the manifest says {expected}: refused"),
    "backlog.out_of_order": ("bản ghi {id} sai thứ tự: bị từ chối",
                             "entry {id} out of order: refused"),
    "backlog.foreign_line": ("bản ghi {id} không phải của trạm {kiosk}: bị từ chối",
                             "entry {id} is not kiosk {kiosk}'s: refused"),
    "backlog.foreign_entry": (
        "bản ghi {id} thuộc trạm {owner}, không phải {kiosk} (kiosk.id đã bị đổi?); chưa xuất "
        "gì",
        "entry {id} belongs to kiosk {owner}, not {kiosk} (was kiosk.id changed?); nothing "
        "was exported"),
    "backlog.not_as_written": (
        "đọc lại từ đĩa thấy khác với dữ liệu đã ghi (USB hỏng?); không đánh dấu gì, hãy xuất "
        "lại ra thiết bị khác",
        "reading it back from the disk gave something else than was written (a failing USB "
        "stick?); nothing was marked, export again to another device"),
    "backlog.no_centre_key": (
        "Chưa biết khoá mã hoá của trung tâm: kết nối trung tâm một lần (`kiosk sync push`) "
        "hoặc đăng ký lại trạm (`kiosk enrol`); không xuất tệp không mã hoá",
        "The centre's encryption key is not known yet: connect to the centre once (`kiosk "
        "sync push`) or enrol again (`kiosk enrol`); no unencrypted file is written"),
    "backlog.centre_too_old": (
        "Trung tâm {server} chạy phiên bản cũ, chưa trao đổi khoá mã hoá (trả lời 404): nâng "
        "cấp trung tâm trước, rồi kết nối lại (`kiosk sync push`) để xuất tệp; các lượt vẫn "
        "được giữ trên trạm",
        "The centre {server} runs an older version without the key exchange (it answered "
        "404): upgrade the centre first, then connect again (`kiosk sync push`) to export a "
        "file; the entries stay on the kiosk"),
    "backlog.centre_key_damaged": (
        "Tệp {file} giữ khoá của trung tâm bị hỏng hoặc không đọc được: không xuất tệp nào "
        "(tệp mã hoá cho một khoá sai thì trung tâm không mở được). Lấy lại khoá: kết nối "
        "trung tâm một lần (`kiosk sync push`) hoặc đăng ký lại trạm bằng mã QR mới (`kiosk "
        "enrol`)",
        "The file {file} keeping the centre's key is damaged or unreadable: no file is "
        "exported (one sealed to a wrong key cannot be opened at the centre). Get the key "
        "again: connect to the centre once (`kiosk sync push`) or enrol the kiosk again with "
        "a new code (`kiosk enrol`)"),
    "backlog.centre_key_changed": (
        "máy chủ {server} trả lời bằng khoá mã hoá {offered}, không phải khoá {kept} của "
        "trung tâm mà trạm đang giữ: khoá lạ không được lưu và không được dùng, không xuất "
        "tệp nào cho nó. Kiểm tra địa chỉ máy chủ ([sync] server_url, mạng, DNS); nếu trung "
        "tâm thật sự đã tạo khoá mới, đăng ký lại trạm bằng mã QR mới của trung tâm (`kiosk "
        "enrol` hoặc thẻ Trung tâm)",
        "the server at {server} answers with encryption key {offered}, not the centre key "
        "{kept} this kiosk keeps: the strange key is neither saved nor used, and no file is "
        "written for it. Check the server address ([sync] server_url, the network, DNS); if "
        "the centre really made a new key, enrol the kiosk again with a new code from the "
        "centre (`kiosk enrol` or the Centre tab)"),
    "backlog.signing_key_conflict": (
        "trung tâm giữ một khoá ký khác ({held}) cho trạm {kiosk}, không phải khoá {own} của "
        "trạm này (có người đã dùng mã truy cập của trạm?): trung tâm từ chối tệp tồn đọng "
        "của trạm cho tới khi quản trị viên chạy `kiosk-central kiosks signing-key {kiosk} "
        "--reset --reason …` (trạm đăng ký lại khoá khi kết nối lần sau) hoặc "
        "`kiosk-central kiosks signing-key {kiosk} --set={public} --reason …`",
        "the centre holds another signing key ({held}) for kiosk {kiosk}, not this kiosk's "
        "{own} (someone used this kiosk's token?): the centre refuses this kiosk's backlog "
        "files until an administrator runs `kiosk-central kiosks signing-key {kiosk} --reset "
        "--reason …` (the kiosk registers its key at its next contact) or `kiosk-central "
        "kiosks signing-key {kiosk} --set={public} --reason …`"),
    "backlog.unknown_kiosk": ("trạm {kiosk} chưa đăng ký với trung tâm này: bị từ chối",
                              "kiosk {kiosk} is not enrolled at this centre: refused"),
    "backlog.no_signing_key": (
        "trạm {kiosk} chưa đăng ký khoá ký với trung tâm này: cho trạm kết nối một "
        "lần, hoặc đăng ký khoá bằng `kiosk-central kiosks signing-key {kiosk} --set …`",
        "kiosk {kiosk} has not registered a signing key with this centre: let it "
        "connect once, or register its key with `kiosk-central kiosks signing-key {kiosk} "
        "--set …`"),
    "backlog.retired_key": (
        "tệp ký bằng khoá cũ {fingerprint} của trạm {kiosk}, thôi dùng lúc {at} ({reason}): "
        "bị từ chối. Nếu tệp là thật (ổ đĩa trạm hỏng khi thẻ nhớ đang trên đường), nhập "
        "bằng `kiosk-central import --allow-retired-key --reason \"…\"` (ghi nhật ký kiểm "
        "tra; chỉ lưu các lượt ghi trong thời gian trạm giữ khoá đó)",
        "the file is signed with kiosk {kiosk}'s old signing key {fingerprint}, retired {at} "
        "({reason}): refused. If the file is genuine (the kiosk's disk died while the stick "
        "was on its way), import it with `kiosk-central import --allow-retired-key --reason "
        "\"…\"` (written to the audit log; only entries taken while the kiosk held that key "
        "are stored)"),
    "backlog.revoked": (
        "trạm {kiosk} đã bị thu hồi lúc {at}; tệp của nó bị từ chối như dữ liệu gửi "
        "qua mạng (quản trị viên có thể dùng --allow-revoked --reason \"…\")",
        "kiosk {kiosk} was revoked at {at}; its files are refused like its uploads "
        "(an administrator may use --allow-revoked --reason \"…\")"),
    # -- config.toml's checks (kiosk.schema, kiosk.config, the device kinds): {key} is the
    #    key's path in the file, {expected} a ``config.expect.*`` description
    "config.expected": ("{key}: cần {expected}, nhận được {got}",
                        "{key}: expected {expected}, got {got}"),
    "config.missing": ("{key}: còn thiếu, cần {expected}", "{key}: missing, expected {expected}"),
    "config.unknown_option": ("{key}: không có tuỳ chọn này (các tuỳ chọn: {known})",
                              "{key}: unknown option (known: {known})"),
    "config.unknown_section": ("{key}: không có mục này (các mục: {known})",
                               "{key}: unknown section (known: {known})"),
    "config.expect.str": ("một chuỗi", "a string"),
    "config.expect.int": ("một số nguyên", "an integer"),
    "config.expect.float": ("một số", "a number"),
    "config.expect.bool": ("true hoặc false", "true or false"),
    "config.expect.list": ("một danh sách", "a list"),
    "config.expect.dict": ("một bảng", "a table"),
    "config.expect.either": ("{first} hoặc {second}", "{first} or {second}"),
    "config.expect.one_of": ("một trong {values}", "one of {values}"),
    "config.expect.one_of_range": ("một trong {first}…{last}", "one of {first}…{last}"),
    "config.expect.from_to": ("{what} từ {minimum} đến {maximum}",
                              "{what} from {minimum} to {maximum}"),
    "config.expect.at_least": ("{what} ≥ {minimum}", "{what} ≥ {minimum}"),
    "config.expect.device_list": ("một danh sách các bảng [[devices]]",
                                  "a list of [[devices]] tables"),
    "config.devices_one_table": (
        "devices: mỗi thiết bị là một bảng [[devices]] (hai cặp ngoặc vuông), không phải "
        "[devices]",
        "devices: each device is a [[devices]] table (double square brackets), not "
        "[devices]"),
    "config.expect.kiosk_id": ('mã trạm, ví dụ "kiosk-01"', 'a kiosk id such as "kiosk-01"'),
    "config.expect.camera_source": ("số thứ tự camera, /dev/videoN, một tệp hoặc một URL",
                                    "a camera index, /dev/videoN, a file or a URL"),
    "config.expect.evdev_path": ("một nút sự kiện hoặc đường dẫn /dev/input/by-id",
                                 "an event node or /dev/input/by-id path"),
    "config.expect.evdev_name": ("mẫu tên thiết bị (kiểu glob của shell)",
                                 "a device name pattern (shell glob)"),
    "config.expect.hidraw_path": ("một nút /dev/hidrawN", "a /dev/hidrawN node"),
    "config.expect.replay_path": ('đường dẫn tệp, hoặc "-" để đọc từ đầu vào chuẩn',
                                  'a file path, or "-" for standard input'),
    "config.expect.terminator": ('"CR", "LF", "CRLF", "none" hoặc các byte viết dạng \\x',
                                 '"CR", "LF", "CRLF", "none" or \\x-escaped bytes'),
    "config.expect.encoding": ('một bảng mã như "cp1258", hoặc "none"',
                               'an encoding such as "cp1258", or "none"'),
    "config.expect.usb": ('"VID:PID" hoặc "VID:PID:SERIAL" (chữ số thập lục phân)',
                          '"VID:PID" or "VID:PID:SERIAL" in hex'),
    "config.expect.serial_port": ('đường dẫn cổng, ví dụ "/dev/ttyACM0", hoặc đường dẫn by-id',
                                  'a port path such as "/dev/ttyACM0" or a by-id path'),
    "config.screen_dpi": (
        "{key}: cần 0 (để màn hình tự báo) hoặc số điểm ảnh mỗi inch của màn hình, 60…600, "
        "nhận được {got}",
        "{key}: expected 0 (ask the screen) or the panel's dots per inch, 60…600, got {got}"),
    "config.bad_id": (
        "{key}: cần 1-64 chữ cái, chữ số, '.', '_' hoặc '-', bắt đầu bằng chữ cái hoặc chữ số "
        "(như trung tâm đăng ký), nhận được {got}",
        "{key}: expected 1-64 letters, digits, '.', '_' or '-' starting with a letter or "
        "digit (as the centre enrols it), got {got}"),
    "config.value_cut": ("{value}… ({length} ký tự)", "{value}… ({length} characters)"),
    "config.bad_timezone": (
        '{key}: cần tên múi giờ IANA, ví dụ "Asia/Ho_Chi_Minh", nhận được {got}',
        '{key}: expected an IANA time zone such as "Asia/Ho_Chi_Minh", got {got}'),
    "config.bad_server_url": (
        "{key}: cần http://MÁY:CỔNG hoặc https://MÁY:CỔNG, nhận được {got}",
        "{key}: expected http://HOST:PORT or https://HOST:PORT, got {got}"),
    "config.no_home": ("{key}: không tìm thấy thư mục nhà của {home}, nhận được {got}",
                       "{key}: no home folder found for {home}, got {got}"),
    "config.device_id_twice": ('{key}: "{id}" được dùng hai lần', '{key}: "{id}" is used twice'),
    "config.device_id_reserved": (
        '{key}: "{id}" là tên dành riêng (các lượt cán bộ nhập tay được ghi dưới tên này)',
        '{key}: "{id}" is reserved (the officer\'s typed entries are recorded under it)'),
    "config.needs_location": ("{key}: thiết bị {type} cần một trong port/path, usb hoặc name",
                              "{key}: a {type} device needs one of port/path, usb or name"),
    "config.bad_serial_port": (
        '{key}: không thể là cổng nối tiếp: {problem}; cần đường dẫn thiết bị, ví dụ '
        '"/dev/ttyACM0" hoặc "/dev/serial/by-id/…"',
        '{key}: cannot be a serial port: {problem}; expected a device path such as '
        '"/dev/ttyACM0" or "/dev/serial/by-id/…"'),
    "config.port.character": (
        "ký tự thứ {position} trong {length} là {character}, không đường dẫn thiết bị nào có "
        "(một mã đã quét?)",
        "character {position} of {length} is {character}, which no device path holds (a "
        "scanned code?)"),
    "config.port.blank": (
        'ký tự thứ {position} trong {length} là {character}, một khoảng trắng mà tên thiết bị '
        'không có (udev ghi "_" thay cho nó trong /dev/serial/by-id/)',
        'character {position} of {length} is {character}, a blank no device\'s name holds '
        '(udev writes "_" for one in /dev/serial/by-id/)'),
    "config.disabled_unusable": (
        "{problem} — thiết bị đang tắt (enabled = false) nên trạm vẫn chạy; hãy sửa trước "
        "khi bật nó",
        "{problem} — the device is disabled (enabled = false), so the kiosk still starts; fix "
        "it before enabling it"),
    "config.port.relative": ('không bắt đầu bằng "/" ({length} ký tự)',
                             'it does not start with "/" ({length} characters)'),
    "config.port.name_too_long": (
        "một phần của đường dẫn dài {bytes} byte, quá {limit} byte của một tên tệp",
        "a part of the path is {bytes} bytes long, past a file name's {limit}"),
    "config.bad_usb": ('{key}: cần "VID:PID[:SERIAL]" dạng hex, nhận được "{got}"',
                       '{key}: expected "VID:PID[:SERIAL]" in hex, got "{got}"'),
    "config.not_utf8": ("{path}: không phải văn bản UTF-8 (byte {value} ở vị trí {byte}); hãy "
                        "lưu tệp dạng UTF-8",
                        "{path}: not UTF-8 text (byte {value} at offset {byte}); save the file "
                        "as UTF-8"),
    "config.not_toml": ("{path}: không phải TOML hợp lệ ({where}): {detail}",
                        "{path}: not valid TOML ({where}): {detail}"),
    # -- why a file is not TOML (kiosk/toml_words.py: tomllib's reasons, worded)
    "config.toml.at": ("dòng {line}, cột {column}", "at line {line}, column {column}"),
    "config.toml.at_key": ("dòng {line}, cột {column}, khoá {key}",
                           "at line {line}, column {column}, key {key}"),
    "config.toml.at_device_key": (
        "dòng {line}, cột {column}, khoá {key} của bảng [[devices]] thứ {n}/{count}",
        "at line {line}, column {column}, key {key} of [[devices]] table {n} of {count}"),
    "config.toml.at_end": ("ở cuối tệp", "at the end of the file"),
    "config.toml.invalid_statement": (
        "dòng này không phải khoá = giá trị, [bảng] hay # chú thích",
        "this line is neither key = value, a [table] nor a # comment"),
    "config.toml.expected_newline": (
        "sau một giá trị chỉ được có chú thích (#) rồi xuống dòng",
        "only a comment (#) may follow a value on its line"),
    "config.toml.set_twice": ("khoá này đã được đặt ở trên: mỗi khoá chỉ một lần",
                              "this key is already set above: each key only once"),
    "config.toml.table_twice": ("bảng [{key}] đã có ở trên: mỗi bảng chỉ một lần",
                                "the table [{key}] is already there above: each table once"),
    "config.toml.unclosed_table": ("thiếu dấu ] đóng tên bảng", "the table name lacks its ]"),
    "config.toml.expected_equals": ("sau tên khoá cần dấu =", "a key needs an = after it"),
    "config.toml.bad_key": (
        "tên khoá chỉ gồm chữ không dấu, số, _ và -, hoặc đặt trong nháy",
        "a key is made of ASCII letters, digits, _ and -, or quoted"),
    "config.toml.unclosed_array": ("danh sách [ … ] thiếu dấu ] đóng (hoặc thiếu dấu phẩy)",
                                   "a list [ … ] lacks its closing ] (or a comma)"),
    "config.toml.unclosed_inline_table": (
        "bảng {{ … }} thiếu dấu }} đóng (hoặc thiếu dấu phẩy)",
        "an inline table {{ … }} lacks its }} (or a comma)"),
    "config.toml.bad_escape": (
        "chuỗi trong nháy kép của TOML không có cách viết {escape}: viết {fixed} (dấu \\ gấp "
        "đôi), hoặc {literal} (nháy đơn: không có cách viết đặc biệt nào)",
        "a TOML string in double quotes has no escape {escape}: write {fixed} (the backslash "
        "doubled), or {literal} (single quotes: no escapes at all)"),
    "config.toml.bad_escape_doubled": (
        "chuỗi trong nháy kép của TOML không có cách viết {escape}: viết {fixed} (dấu \\ gấp "
        "đôi)",
        "a TOML string in double quotes has no escape {escape}: write {fixed} (the backslash "
        "doubled)"),
    "config.toml.bad_escape_any": (
        "chuỗi trong nháy kép của TOML chỉ nhận \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX sau dấu "
        "\\: viết \\\\ cho một dấu \\, hoặc dùng nháy đơn '…' (không có cách viết đặc biệt)",
        "a TOML string in double quotes takes only \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX after "
        "a backslash: write \\\\ for one, or use single quotes '…' (no escapes at all)"),
    "config.toml.bad_unicode": ("\\u cần đúng 4 chữ số hex (\\U: 8) của một ký tự Unicode",
                                "\\u needs exactly 4 hex digits (\\U: 8) of a Unicode character"),
    "config.toml.unterminated_string": ("chuỗi thiếu dấu nháy đóng",
                                        "a string lacks its closing quote"),
    "config.toml.bad_date": ("ngày giờ không hợp lệ", "not a valid date or time"),
    "config.toml.bad_value": (
        "giá trị không hợp lệ: chữ cần đặt trong nháy (\"…\"), đúng/sai là true/false",
        "not a valid value: text goes in quotes (\"…\"), yes/no is true/false"),
    "config.toml.expected": ("thiếu {what}", "{what} expected"),
    "config.toml.control_character": (
        "ký tự điều khiển {what} không được có ở đây: trong chuỗi, viết nó dạng \\uXXXX "
        "(STX: \\u0002)",
        "the control character {what} may not be here: in a string, write it as \\uXXXX "
        "(STX: \\u0002)"),
    "config.toml.too_many_digits": ("một số có hơn {limit} chữ số",
                                    "a number of more than {limit} digits"),
    "config.toml.other": ("cú pháp TOML sai: {detail}", "{detail}"),
    "config.not_regular": ("{path}: không phải tệp thông thường ({kind})",
                           "{path}: not a regular file ({kind})"),
    "config.kind.fifo": ("một ống có tên, FIFO", "a named pipe, FIFO"),
    "config.kind.directory": ("một thư mục", "a directory"),
    "config.kind.device": ("một thiết bị", "a device"),
    "config.kind.socket": ("một socket", "a socket"),
    "config.no_permission": (
        "{path}: không đọc được ({reason}) — hãy chạy lệnh bằng tài khoản của kiosk, hoặc sửa "
        "chủ sở hữu của tệp hay thư mục chứa nó",
        "{path}: cannot be read ({reason}) — run the command as the kiosk's account, or fix "
        "the owner of the file or of its folder"),
    "config.not_writable": ("{path}: không ghi được vào thư mục của tệp ({reason})",
                            "{path}: cannot write in the file's folder ({reason})"),
    "config.path_loops": ("{path}: đường dẫn đi qua một liên kết vòng (trỏ ngược về chính nó)",
                          "{path}: the path leads through a link that loops back on itself"),
    "config.too_big": ("{path}: quá lớn ({size} byte; tệp cấu hình tối đa {limit} byte)",
                       "{path}: too big ({size} bytes; a config is at most {limit} bytes)"),
    "config.in_file": ("{file}: {problem}", "{file}: {problem}"),
    "config.file_at": ("{file}, {place}", "{file}, {place}"),
    "config.device_at_line": ("dòng {line} (bảng [[devices]] thứ {n}/{count}{id})",
                              "line {line} ([[devices]] table {n} of {count}{id})"),
    "config.device_table": ("bảng [[devices]] thứ {n}/{count}{id}",
                            "[[devices]] table {n} of {count}{id}"),
    "config.in_key": ("{key}: {problem}", "{key}: {problem}"),
    "config.bad_bytes": ("không đọc được {value} thành byte: cần {expected}",
                         "cannot read {value} as bytes: expected {expected}"),
    "config.bad_encoding": ("bảng mã {value} không rõ (ví dụ: cp1258, cp1252, none)",
                            "unknown encoding {value} (e.g. cp1258, cp1252, none)"),
    # -- files in general, and trust lists (kiosk.certificates.trustlist: what a technician
    #    or centre staff imports, and what the kiosk fetches from the centre)
    "file.not_found": ("{path}: không tìm thấy tệp", "{path}: file not found"),
    "file.unreadable": ("{path}: không đọc được tệp: {reason}",
                        "{path}: cannot read the file: {reason}"),
    "file.unwritable": ("{path}: không ghi được tệp: {reason}",
                        "{path}: cannot write the file: {reason}"),
    "trust.in_source_key": ("{source}: mã khoá {kid}: {problem}",
                            "{source}: key id {kid}: {problem}"),
    "trust.not_x509": ("không phải chứng thư X.509 ({detail})",
                       "not an X.509 certificate ({detail})"),
    "trust.key_type": ("khoá {type} không thể ký chứng nhận EU DCC",
                       "{type} keys cannot sign EU DCCs"),
    "trust.no_pem_files": ("{path}: thư mục không có tệp {suffixes} nào",
                           "{path}: no {suffixes} files in this folder"),
    "trust.not_a_list": (
        "{source}: cần một danh sách mục DSC (danh sách khoá của gateway, "
        '{{"certificates": […]}} hoặc PEM)',
        '{source}: expected a list of DSC items (gateway trust list, {{"certificates": […]}} '
        "or PEM)"),
    "trust.none_usable": ("{source}: không có chứng thư nào dùng được ({first})",
                          "{source}: no usable certificate ({first})"),
    "trust.skipped_item": ("mục {index}: {problem}", "item {index}: {problem}"),
    "trust.skipped_block": ("{source} khối {index}: {problem}",
                            "{source} block {index}: {problem}"),
    "trust.not_certificate_block": ("{kind}, không phải CERTIFICATE",
                                    "{kind}, not a CERTIFICATE"),
    "trust.item_not_object": ("mục này phải là một đối tượng JSON", "expected an object"),
    "trust.not_dsc": ("certificateType {kind} không phải khoá ký tài liệu (DSC)",
                      "certificateType {kind} is not a document signer (DSC)"),
    "trust.no_raw_data": ("thiếu rawData (chứng thư DER mã hoá base64)",
                          "no rawData (base64 DER certificate)"),
    "trust.not_pem": ("{source}: không phải PEM ({detail})", "{source}: not PEM ({detail})"),
    "trust.too_large": ("{path}: {size} byte, lớn hơn mọi danh sách khoá",
                        "{path}: {size} bytes, larger than any trust list"),
    "trust.not_json_or_pem": ("{source}: không phải JSON, cũng không phải PEM ({detail})",
                              "{source}: neither JSON nor PEM ({detail})"),
    "trust.too_deep": ("{source}: JSON lồng nhau quá sâu, không phải một danh sách khoá",
                       "{source}: JSON nested too deeply, not a trust list"),
    "trust.not_base64": ("{name}: không phải base64", "{name}: not base64"),
    "trust.bad_imported_at": ("{source}: imported_at {value} không phải một thời điểm",
                              "{source}: imported_at {value} is not a time"),
    # -- the checkpoint registry (kiosk.central.registry, `kiosk-central checkpoints`)
    "registry.not_text": (
        "{path}: không phải văn bản UTF-8 hay UTF-16, cũng không phải sổ tính XLSX; hãy lưu "
        "thành 'CSV UTF-8' hoặc .xlsx",
        "{path}: not UTF-8 or UTF-16 text, nor an XLSX workbook; save it as 'CSV UTF-8' or "
        ".xlsx"),
    "registry.not_utf8": ("{path}: không phải văn bản UTF-8; hãy lưu thành 'CSV UTF-8' hoặc .xlsx",
                          "{path}: not UTF-8 text; save it as 'CSV UTF-8' or .xlsx"),
    "registry.bad_xlsx": ("không phải sổ tính XLSX đọc được: {detail}",
                          "not a readable XLSX workbook: {detail}"),
    "registry.empty": ("tệp trống: cần một dòng tiêu đề và mỗi điểm một dòng",
                       "the file is empty: expected a header row and one row per point"),
    "registry.problem_at": ("dòng {row}, cột {column}: {reason}",
                            "row {row}, column {column}: {reason}"),
    "registry.unknown_column": ("cột không rõ; cần một trong {known}",
                                "unknown column; expected one of {known}"),
    "registry.column_twice": ("cột bị lặp", "column given twice"),
    "registry.column_missing": ("thiếu cột bắt buộc", "required column missing"),
    "registry.bad_header": ("dòng tiêu đề không dùng được", "the header row is not usable"),
    "registry.id_repeated": ("mã {id} đã có ở dòng {row}", "id {id} already on row {row}"),
    "registry.rows_refused": ("{count} dòng bị từ chối; chưa nhập gì",
                              "{count} row(s) refused; nothing was imported"),
    "registry.too_long": ("dài quá {max} ký tự", "longer than {max} characters"),
    "registry.unknown_kind": ("loại {kind} không rõ; cần một trong {known}",
                              "kind {kind} unknown; expected one of {known}"),
    "registry.bad_kind": ("loại {kind} không rõ", "kind {kind} unknown"),
    "registry.not_number": ("{value} không phải là số", "{value} is not a number"),
    "registry.not_text_cell": ("{value} không phải là chữ (ô đúng/sai hoặc ngày giờ)",
                               "{value} is not text (a TRUE/FALSE or date/time cell)"),
    "registry.bad_date": ("ngày {value}: cần dạng NNNN-TT-NN hoặc NN/TT/NNNN",
                          "date {value}: expected YYYY-MM-DD or DD/MM/YYYY"),
    "registry.bad_id": (
        "mã {id}: dùng 1-64 chữ cái, chữ số, '.', '_' hoặc '-', bắt đầu bằng chữ cái hoặc "
        "chữ số",
        "id {id}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"),
    "registry.no_name": ("tên không được để trống", "name must not be empty"),
    "registry.both_coordinates": ("cần cả hai toạ độ hoặc không có toạ độ nào",
                                  "give both coordinates or neither"),
    "registry.outside": ("{value} nằm ngoài khoảng {low}…{high}",
                         "{value} is outside {low}…{high}"),
    "registry.closed_before": ("ngày đóng {closed} trước ngày triển khai {set_up}",
                               "closed on {closed}, before it was set up on {set_up}"),
    "registry.column_problem": ("{column}: {reason}", "{column}: {reason}"),
    "registry.and": ("{first}; {second}", "{first}; {second}"),
    "registry.point_refused": ("{listed}", "{listed}"),
    "registry.exists": ("điểm {id} đã có; dùng `checkpoints edit`",
                        "checkpoint {id} already exists; use `checkpoints edit`"),
    "registry.no_such": ("không có điểm {id}", "checkpoint {id} does not exist"),
    # -- dashboard accounts (kiosk.central.web.users, `kiosk-central users`, the users page)
    "account.password_short": ("mật khẩu: tối thiểu {min} ký tự",
                               "password: at least {min} characters"),
    "account.password_long": ("mật khẩu: tối đa {max} ký tự", "password: at most {max} characters"),
    "account.bad_name": ("tên {name}: dùng 2-40 chữ thường, chữ số, '.', '_' hoặc '-'",
                         "name {name}: use 2-40 lower-case letters, digits, '.', '_' or '-'"),
    "account.bad_role": ("vai trò {role}: cần một trong {known}",
                         "role {role}: expected one of {known}"),
    "account.district_role": (
        "huyện (--district) bắt buộc với vai trò district, và chỉ với vai trò đó",
        "--district is required for the district role, and only for it"),
    "account.unknown_district": (
        "huyện {district} không có trong danh sách điểm kiểm soát; gần nhất: {near}",
        "district {district} is not in the checkpoint registry; nearest: {near}"),
    "account.exists": ("người dùng {name} đã có", "user {name} already exists"),
    "account.exists_disabled": (
        "người dùng {name} đã có và đang bị khoá: mở lại bằng nút «Mở khoá» ở trang Người dùng "
        "hoặc kiosk-central users enable {login}",
        "user {name} already exists, disabled: enable it with the Users page's “Enable” or "
        "kiosk-central users enable {login}"),
    "account.unknown": ("không có người dùng {name}", "unknown user {name}"),
    "account.not_yourself": (
        "không thể tự khoá tài khoản của chính mình: nhờ một quản trị viên khác",
        "you cannot disable your own account: ask another administrator"),
    "account.last_admin": (
        "{name} là quản trị viên duy nhất còn hoạt động: thêm một quản trị viên khác trước",
        "{name} is the last active administrator: add another administrator first"),
    "account.wrong": ("sai tên hoặc mật khẩu", "wrong name or password"),
    "account.locked": ("tên này bị tạm khoá từ địa chỉ này sau nhiều lần sai mật khẩu, đến "
                       "{until}",
                       "this name is locked from this address after wrong passwords, until "
                       "{until}"),
    "account.no_terminal": (
        "không có terminal để hỏi mật khẩu: dùng --password-file TỆP (hoặc - để đọc từ đầu "
        "vào chuẩn)",
        "no terminal to ask for the password: use --password-file FILE (or - for standard "
        "input)"),
    "account.passwords_differ": ("hai mật khẩu không khớp", "the two passwords differ"),
    "account.password_common": (
        "mật khẩu: quá phổ biến hoặc dễ đoán (như 1234567890, abcdefghij): chọn một câu vài từ",
        "password: too common or easy to guess (like 1234567890, abcdefghij): choose a "
        "phrase of a few words"),
    "account.password_name": ("mật khẩu: không được chứa tên đăng nhập",
                              "password: must not contain the login name"),
    "account.password_repeated": (
        "mật khẩu: lặp lại một ký tự hoặc một đoạn (như aaaaaaaaaa, abcabcabca)",
        "password: repeats a character or a piece (like aaaaaaaaaa, abcabcabca)"),
    "account.password_same": ("mật khẩu mới phải khác mật khẩu hiện tại",
                              "the new password must differ from the current one"),
    "account.wrong_current": ("mật khẩu hiện tại không đúng", "the current password is wrong"),
    # -- the audit log's refusals (kiosk.central.audit) and enrolling kiosks at the centre
    "central.audit.name_and_year": (
        "--name và --birth-year phải đi cùng nhau, với --disclosed (tên và năm sinh trên thẻ: "
        "thiếu một trong hai thì không tìm được ai); với --phone chỉ cần --name",
        "--name and --birth-year go together, with --disclosed (the card's name and birth "
        "year: one without the other finds no one); with --phone, --name alone"),
    "audit.reason_required": ("lý do: bắt buộc, ví dụ số ca bệnh 'ca bệnh F0-1234'",
                              "reason: required, e.g. the case number 'ca bệnh F0-1234'"),
    "audit.trace_reason": (
        "lý do truy vết: cần số ca bệnh hoặc số phiếu, ít nhất {min} ký tự và có chữ số, ví dụ "
        "'ca bệnh F0-1234'",
        "trace reason: the case or ticket number, at least {min} characters with a digit, e.g. "
        "'ca bệnh F0-1234'"),
    "audit.reason_long": ("lý do: tối đa {max} ký tự", "reason: at most {max} characters"),
    "audit.reason_nul": ("lý do: chứa ký tự NUL, không ghi được vào nhật ký",
                         "reason: holds a NUL character, which the log cannot record"),
    "audit.bad_kind": ("loại {kind}: cần một trong {known}",
                       "kind {kind}: expected one of {known}"),
    "audit.no_actor": ("người xem: phải biết ai được xem dữ liệu",
                       "actor: who is shown the data must be known"),
    "audit.nobody_signed_in": ("{path}: dữ liệu cá nhân cho người chưa đăng nhập",
                               "{path}: personal data for nobody signed in"),
    "enrolment.id.checkpoint": ("mã điểm", "checkpoint id"),
    "enrolment.id.kiosk": ("mã trạm", "kiosk id"),
    "enrolment.bad_id": (
        "{label} {value}: dùng 1-64 chữ cái, chữ số, '.', '_' hoặc '-', bắt đầu bằng chữ cái "
        "hoặc chữ số",
        "{label} {value}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter "
        "or digit"),
    "enrolment.no_name": ("tên: không được để trống", "name: must not be empty"),
    "enrolment.no_time": ("mã đăng ký phải có thời hạn dùng",
                          "an enrolment code must be valid for some time"),
    "enrolment.kiosk_exists": ("trạm {kiosk} đã có", "kiosk {kiosk} already exists"),
    "enrolment.unregistered_checkpoint": (
        "điểm {checkpoint} không có trong danh sách điểm (gần nhất: {near}): kiểm tra mã "
        "điểm, hoặc thêm điểm trước bằng `kiosk-central checkpoints add` (có huyện)",
        "checkpoint {checkpoint} is not in the registry (nearest: {near}): check the id, or "
        "add the point first with `kiosk-central checkpoints add` (with its district)"),
    "enrolment.no_checkpoint": ("không có điểm {checkpoint}",
                                "checkpoint {checkpoint} does not exist"),
    "enrolment.unknown_kiosk": ("không có trạm {kiosk}", "unknown kiosk {kiosk}"),
    # -- contact tracing's refusals (kiosk.central.tracing, the trace command, page and API)
    "trace.margin_range": ("khoảng đệm: cần từ 0 đến 24 giờ", "margin: expected 0 to 24 hours"),
    "trace.default_stay_range": (
        "thời gian ở mặc định: cần lớn hơn 0 và không quá thời gian ở dài nhất (tối đa 7 ngày)",
        "default stay: expected more than 0 and at most the longest stay (at most 7 days)"),
    "trace.repeat_window_range": ("khoảng quét lặp: cần từ 0 đến 24 giờ",
                                  "repeat window: expected 0 to 24 hours"),
    "trace.second_degree_range": ("tiếp xúc bậc hai: cần từ 0 đến {max} người",
                                  "second degree: expected 0 to {max} contacts"),
    "trace.end_before_start": ("khoảng thời gian: lúc kết thúc phải sau lúc bắt đầu",
                               "period: the end must be after the start"),
    "trace.period_future": (
        "khoảng thời gian: lúc kết thúc phải sau lúc bắt đầu (và không ở tương lai)",
        "period: the end must be after the start (and not in the future)"),
    "trace.period_calendar": ("khoảng thời gian: phải nằm trong lịch (năm 1 đến năm 9999)",
                              "period: must lie within the calendar (years 1 to 9999)"),
    "trace.period_long": ("khoảng thời gian: tối đa {max} ngày", "period: at most {max} days"),
    "trace.bad_document": ("số giấy tờ {number}: cần 6 đến 20 chữ cái hoặc chữ số",
                           "document number {number}: expected 6 to 20 letters or digits"),
    "trace.payload_refused": ("mã bị từ chối như trạm sẽ từ chối: {detail}",
                              "payload refused as a kiosk would refuse it: {detail}"),
    "trace.bad_name_year": ("họ tên và năm sinh: cần một họ tên và năm sinh bốn chữ số",
                            "name and birth year: expected a name and a four-digit year"),
    "trace.whom": (
        "truy vết ai: cho đúng một trong số giấy tờ, mã quét, số điện thoại, hoặc họ tên kèm "
        "năm sinh",
        "whom: give exactly one of a document number, a payload, a phone number, or a name "
        "with a birth year"),
    "trace.bad_phone": ("số điện thoại {phone}: cần 0… (Việt Nam) hoặc + mã nước và tối đa "
                        "15 chữ số",
                        "phone number {phone}: expected 0… (Vietnam) or + a country code, at "
                        "most 15 digits in all"),
    "trace.too_many": (
        "đã đến giới hạn truy vết ({limit} lần mỗi giờ): hãy đợi, hoặc nhờ quản trị viên nâng "
        "giới hạn (kiosk-central trace-limit); lần bị từ chối này đã được ghi vào nhật ký",
        "trace limit reached ({limit} an hour): wait, or ask an administrator to raise it "
        "(kiosk-central trace-limit); this refusal is recorded in the audit log"),
    "trace.name_many": (
        "họ tên và năm sinh này khớp {people} người (quá {max}): chưa ai được hiện; hãy thu hẹp "
        "bằng số giấy tờ hoặc khoảng thời gian ngắn hơn, hoặc xác nhận truy vết tất cả",
        "this name and birth year match {people} people (more than {max}): none is shown; "
        "narrow it with a document number or a shorter period, or confirm tracing them all"),
    "trace.all_named_bool": ("all_named: cần true hoặc false", "all_named: expected true or false"),
    "xlsx.cut": ("… [cắt bớt {cut} ký tự: Excel giữ tối đa 32.767 ký tự một ô]",
                 "… [{cut} characters cut: Excel holds at most 32,767 a cell]"),
    "trace.foreign_bool": ("foreign: cần true hoặc false", "foreign: expected true or false"),
    "trace.all_exposures_bool": ("all_exposures: cần true hoặc false",
                                 "all_exposures: expected true or false"),
    "trace.foreign_needs_document": (
        "giấy tờ nước ngoài: chỉ đi kèm số giấy tờ",
        "foreign document: only with a document number"),
    "trace.tracer_needed": ("cần một người dùng đã đăng nhập có vai trò truy vết",
                            "a signed-in user with the tracer role is needed"),
    "trace.not_json": ("nội dung: không phải JSON", "body: not JSON"),
    "trace.not_object": ("nội dung: cần một đối tượng JSON", "body: expected a JSON object"),
    "trace.unknown_field": ("{field}: trường không có trong yêu cầu", "{field}: unknown field"),
    "trace.not_base64": ("{name}: không phải base64", "{name}: not base64"),
    "trace.bad_time": ("{name}: cần dạng NNNN-TT-NN hoặc thời điểm ISO kèm độ lệch múi giờ",
                       "{name}: expected YYYY-MM-DD or an ISO time with its offset"),
    "trace.time_offset": ("{name}: thời điểm cần kèm độ lệch múi giờ (ví dụ +07:00)",
                          "{name}: a time needs its offset (e.g. +07:00)"),
    "trace.whole_number": (
        "{name}: cần một số nguyên JSON, ví dụ 15 (không phải true, 15.0 hay \"15\")",
        "{name}: expected a JSON integer, e.g. 15 (not true, 15.0 or \"15\")"),
    "trace.strings": ("document, name, birth_year, reason: cần là chuỗi",
                      "document, name, birth_year, reason: expected strings"),
    "trace.xlsx_needs_file": ("--format xlsx cần -o TỆP", "--format xlsx needs -o FILE"),
    "trace.bad_date": ("{name}: cần ngày dạng NNNN-TT-NN", "{name}: expected a date YYYY-MM-DD"),
    "trace.margin_minutes": ("khoảng đệm: cần một số phút nguyên, ví dụ 15",
                             "margin: expected a whole number of minutes, e.g. 15"),
    "trace.second_degree_count": ("tiếp xúc bậc hai: cần một số người nguyên, ví dụ 5",
                                  "second degree: expected a whole number of contacts, e.g. 5"),
    # -- a request or an answer that breaks the sync protocol (kiosk.sync.protocol): the
    #    HTTP answer's ``error`` is the English, its ``code`` and ``params`` these
    "wire.invalid": ("{detail}", "{detail}"),
    "wire.health": ("health: {detail}", "health: {detail}"),
    "wire.heartbeat": ("heartbeat: {detail}", "heartbeat: {detail}"),
    "wire.not_object": ("nội dung: cần một đối tượng JSON, nhận được {got}",
                        "body: expected a JSON object, got {got}"),
    "wire.entries_not_array": ("entries: cần một mảng, nhận được {got}",
                               "entries: expected an array, got {got}"),
    "wire.too_many_entries": ("entries: {count} bản ghi, tối đa {max} bản ghi mỗi lô",
                              "entries: {count} entries, at most {max} per batch"),
    "wire.entry_not_object": ("entries[{index}]: cần một đối tượng, nhận được {got}",
                              "entries[{index}]: expected an object, got {got}"),
    "wire.entry_id": ("entries[{index}].id: cần một chuỗi, nhận được {got}",
                      "entries[{index}].id: expected a string, got {got}"),
    "wire.no_results": ("câu trả lời: không có mảng results", "answer: no results array"),
    "wire.result_count": ("câu trả lời: {results} kết quả cho {entries} bản ghi",
                          "answer: {results} results for {entries} entries"),
    "wire.result_order": ("câu trả lời: kết quả cho {id} bị thiếu hoặc sai thứ tự",
                          "answer: result for {id} missing or out of order"),
    "wire.unknown_status": ("câu trả lời: trạng thái {status} không rõ cho {id}",
                            "answer: unknown status {status} for {id}"),
    "wire.bad_sent_at": ("sent_at: cần thời điểm UTC theo giao thức, nhận được {got}",
                         "sent_at: expected UTC wire time, got {got}"),
    "wire.clock_off": (
        "sent_at: lệch {days} ngày so với đồng hồ trung tâm (tối đa {max}); hãy chỉnh đồng "
        "hồ của trạm",
        "sent_at: {days} days from the centre's clock (at most {max}); set the kiosk's clock"),
    "wire.no_zstandard": ("zstd: chưa cài gói zstandard",
                          "zstd: the zstandard package is not installed"),
    "wire.unsupported_encoding": ("Content-Encoding: không hỗ trợ {encoding} (hỗ trợ: "
                                  "{supported})",
                                  "Content-Encoding: unsupported {encoding} (supported: "
                                  "{supported})"),
    "wire.too_many_values": ("nội dung: nhiều hơn {max} giá trị JSON; hãy gửi lô nhỏ hơn",
                             "body: more than {max} JSON values; send smaller batches"),
    "wire.too_deep": ("nội dung: JSON lồng nhau quá sâu", "body: JSON nested too deeply"),
    "wire.not_utf8": ("nội dung: không phải văn bản UTF-8 ({detail})",
                      "body: not UTF-8 text ({detail})"),
    "wire.malformed": ("nội dung: JSON sai cú pháp ({detail})", "body: malformed JSON ({detail})"),
    "wire.truncated_gzip": ("nội dung: dữ liệu gzip bị cắt cụt", "body: truncated gzip data"),
    "wire.bad_gzip": ("nội dung: dữ liệu gzip không hợp lệ ({detail})",
                      "body: not valid gzip data ({detail})"),
    "wire.no_zstd_here": ("Content-Encoding: máy chủ này không có zstd",
                          "Content-Encoding: zstd is not available on this server"),
    "wire.bad_zstd": ("nội dung: dữ liệu zstd không hợp lệ ({detail})",
                      "body: not valid zstd data ({detail})"),
    "wire.too_large_decoded": ("nội dung: lớn hơn {limit} byte sau khi giải nén",
                               "body: larger than {limit} bytes once decompressed"),
    # -- the centre's answers to a kiosk's requests (kiosk.central.app): the HTTP answer's
    #    ``error`` is the English, its ``code`` and ``params`` these
    "api.server_busy": ("máy chủ đang bận: {batches} lô đang xử lý",
                        "server busy: {batches} batches in progress"),
    "api.kiosk_busy": ("trạm {kiosk}: đã có {batches} lô đang xử lý",
                       "kiosk {kiosk}: {batches} batches already in progress"),
    "api.over_share": (
        "trạm {kiosk}: các lô gần đây dùng quá phần thời gian xử lý của trung tâm dành cho "
        "trạm; thử lại sau {seconds} giây",
        "kiosk {kiosk}: its batches used more than its share of the centre's processor time "
        "lately; retry in {seconds} s"),
    "api.over_budget": (
        "trạm {kiosk}: trung tâm đã lưu cho trạm hơn {per_hour} mục trong một giờ qua (mỗi "
        "2 KiB dữ liệu tính là một mục); thử lại sau {seconds} giây",
        "kiosk {kiosk}: the centre stored more than {per_hour} entries' worth for it in the "
        "last hour (every 2 KiB of data counts as one); retry in {seconds} s"),
    "api.other_kiosk": ("kiosk_id: mã đồng bộ thuộc trạm {token}, không phải {sent}",
                        "kiosk_id: the token belongs to kiosk {token}, not {sent}"),
    "api.other_kiosk_entry": (
        "entries[{index}].kiosk_id: {owner} không phải trạm của mã đồng bộ này ({token})",
        "entries[{index}].kiosk_id: {owner} is not this token's kiosk {token}"),
    "api.no_authorization": ("Authorization: còn thiếu (cần 'Bearer <mã>')",
                             "Authorization: missing (expected 'Bearer <token>')"),
    "api.not_bearer": ("Authorization: cần 'Bearer <mã>'",
                       "Authorization: expected 'Bearer <token>'"),
    "api.unknown_token": ("Authorization: mã đồng bộ không rõ", "Authorization: unknown token"),
    "api.revoked": ("Authorization: trạm {kiosk} đã bị thu hồi lúc {at}",
                    "Authorization: kiosk {kiosk} was revoked at {at}"),
    "api.not_json": ("Content-Type: cần application/json, nhận được {got}",
                     "Content-Type: expected application/json, got {got}"),
    "api.too_large": ("nội dung: lớn hơn {limit} byte khi gửi; hãy gửi lô nhỏ hơn",
                      "body: larger than {limit} bytes as sent; send smaller batches"),
    "api.enrol_too_large": ("nội dung: lớn hơn {limit} byte; yêu cầu đăng ký là một đối tượng "
                            'JSON {{"secret": "…"}}',
                            "body: larger than {limit} bytes; an enrolment is a JSON object "
                            '{{"secret": "…"}}'),
    "api.enrol_body": ('cần một đối tượng JSON {{"secret": "…"}}',
                       'expected a JSON object {{"secret": "…"}}'),
    "api.no_backlog_keys": ("trung tâm này không cấp khoá tệp tồn đọng",
                            "this centre offers no backlog keys"),
    "api.keys_body": ('cần {{"signing_key": base64}}: {detail}',
                      'expected {{"signing_key": base64}}: {detail}'),
    "enrolment.unknown_code": ("mã đăng ký không rõ", "unknown enrolment code"),
    "enrolment.used_at": ("mã đăng ký đã được dùng lúc {at}",
                          "enrolment code already used at {at}"),
    "enrolment.used": ("mã đăng ký đã được dùng", "enrolment code already used"),
    "enrolment.expired": ("mã đăng ký đã hết hạn lúc {at}", "enrolment code expired at {at}"),
    "enrolment.revoked": ("trạm {kiosk} đã bị thu hồi", "kiosk {kiosk} is revoked"),
    "enrolment.signing_key_held": (
        "trạm {kiosk} đã có khoá ký tệp tồn đọng {fingerprint} (đăng ký {at}); trung tâm "
        "không thay khoá theo lời của trạm: quản trị viên chạy `kiosk-central kiosks "
        "signing-key {kiosk} --reset --reason …` nếu trạm này thật sự mất khoá",
        "kiosk {kiosk} already has backlog signing key {fingerprint} (registered {at}); the "
        "centre does not replace it on a kiosk's word: an administrator runs `kiosk-central "
        "kiosks signing-key {kiosk} --reset --reason …` if this kiosk really lost its key"),
    # -- what a kiosk makes of the centre's answers (kiosk.sync.client)
    "sync.http": ("HTTP {status}: {error}", "HTTP {status}: {error}"),
    "sync.web_page": (
        "một trang web, không phải câu trả lời của trung tâm (có thể một proxy trả lời thay; "
        "tiêu đề: {title})",
        "a web page, not the centre's answer (a proxy may be answering for it; title: "
        "{title})"),
    "sync.transport": ("{what}: {cause}", "{what}: {cause}"),
    "sync.net.connect_timeout": ("hết thời gian chờ kết nối", "connection timed out"),
    "sync.net.read_timeout": ("không nhận được câu trả lời kịp thời", "no answer in time"),
    "sync.net.connection": ("không kết nối được", "connection failed"),
    "sync.net.cut_off": ("câu trả lời bị cắt giữa chừng", "answer cut off"),
    "sync.net.failed": ("yêu cầu không thành công", "request failed"),
    # why, for the causes an officer can act on; {tech}: the system's short name for it
    # (shown also where nothing retries — the link test, `kiosk doctor`, `kiosk sync push`:
    # a cause states the fact and what to check; the sync screen says that entries wait)
    "sync.cause.refused": (
        "không có máy chủ nào nhận kết nối ở địa chỉ và cổng này — máy chủ trung tâm đang "
        "tắt, hoặc cổng trong server_url (mục [sync]) bị sai [{tech}]",
        "nothing accepts connections at that address and port — the centre's server is "
        "down, or the port in [sync] server_url is wrong [{tech}]"),
    "sync.cause.name": (
        "không tìm được tên máy chủ trung tâm — kiểm tra mạng (DNS) của trạm, và tên máy "
        "trong server_url (mục [sync]) có viết sai không [{tech}]",
        "the centre's host name cannot be found — check this kiosk's network (DNS), and "
        "the host name in [sync] server_url for a typo [{tech}]"),
    "sync.cause.no_route": (
        "trạm không có mạng hoặc không có đường tới trung tâm — kiểm tra dây mạng, Wi-Fi "
        "hoặc 4G của trạm [{tech}]",
        "this kiosk has no network, or no route to the centre — check its network cable, "
        "Wi-Fi or mobile data [{tech}]"),
    "sync.cause.reset": (
        "kết nối bị ngắt giữa chừng, do trung tâm hoặc thiết bị mạng trên đường đi — nếu "
        "lặp lại nhiều lần, kiểm tra mạng [{tech}]",
        "the connection was cut midway, by the centre or by network equipment on the way — "
        "if it keeps happening, check the network [{tech}]"),
    "sync.cause.certificate": (
        "chứng chỉ bảo mật của trung tâm không được tin cậy, hoặc đồng hồ của trạm bị sai — "
        "kiểm tra ngày giờ của trạm trước, rồi báo kỹ thuật viên [{tech}]",
        "the centre's security certificate is not trusted, or this kiosk's clock is wrong — "
        "check the kiosk's date and time first, then tell a technician [{tech}]"),
    "sync.cause.connect_timeout": (
        "trung tâm không trả lời khi mở kết nối — kiểm tra mạng của trạm, và máy chủ trung "
        "tâm có đang chạy không [{tech}]",
        "the centre did not answer when connecting — check this kiosk's network, and that "
        "the centre's server is running [{tech}]"),
    "sync.cause.read_timeout": (
        "đã kết nối nhưng trung tâm trả lời quá chậm hoặc không trả lời — máy chủ trung tâm "
        "có thể đang quá tải, hoặc mạng rất chậm; nếu lặp lại nhiều lần, báo người quản lý "
        "trung tâm [{tech}]",
        "connected, but the centre answered too slowly or not at all — the centre's server "
        "may be overloaded, or the network very slow; if it keeps happening, tell whoever "
        "runs the centre [{tech}]"),
    "sync.cause.other": (
        "trạm không rõ nguyên nhân — nếu lặp lại nhiều lần, báo kỹ thuật viên [{tech}]",
        "a cause this kiosk cannot name — if it keeps happening, tell a technician [{tech}]"),
    "sync.cause.not_json": (
        "không phải JSON (có thể một proxy trả lời thay trung tâm) [{tech}]",
        "not JSON (a proxy may be answering for the centre) [{tech}]"),
    "sync.too_slow": (
        "trung tâm trả lời quá chậm: không có câu trả lời trong {seconds} giây cho lô "
        "{sent} bản ghi (trung tâm có thể vẫn lưu lô đó); các lô được chia nhỏ lại, nay tối "
        "đa {entries} bản ghi mỗi lô",
        "the centre answered too slowly: no answer within {seconds} s to a batch of {sent} "
        "entries (the centre may store it all the same); batches made smaller, now at most "
        "{entries} entries"),
    "sync.too_slow_alone": (
        "trung tâm trả lời quá chậm: không có câu trả lời trong {seconds} giây cho một bản ghi "
        "(trung tâm có thể vẫn lưu bản ghi đó)",
        "the centre answered too slowly: no answer within {seconds} s to a single entry (the "
        "centre may store it all the same)"),
    "sync.push_held": (
        "bản ghi trung tâm không lưu, kể cả khi gửi riêng ({count}): {entries}; chúng "
        "vẫn chờ gửi và sẽ được gửi lại sau",
        "entries the centre did not store, even sent alone ({count}): {entries}; "
        "they stay pending and are sent again later"),
    "sync.refusals_unreadable": (
        "không đọc được tệp lượt bị từ chối {path}: {detail}; không thay đổi gì",
        "the refusals file {path} cannot be read: {detail}; nothing changed"),
    "sync.refusals_missing": (
        "không có tệp {path}; không thay đổi gì",
        "{path} not found; nothing changed"),
    "sync.refusals_is_backlog": (
        "{path} là tệp tồn đọng trạm xuất ra, không phải câu trả lời của trung tâm: hãy nạp "
        "tệp {answer} nằm cạnh nó (trung tâm ghi khi nhập); không thay đổi gì",
        "{path} is a backlog file the kiosk exported, not the centre's answer: load "
        "{answer} beside it (the centre writes it at import); nothing changed"),
    "sync.refusals_cut_off": (
        "tệp lượt bị từ chối {path} bị cắt cụt (chép chưa xong?): hãy chép lại từ máy "
        "trung tâm; không thay đổi gì",
        "the refusals file {path} is cut off (copied part-way?): copy it again from the "
        "centre; nothing changed"),
    "sync.refusals_not_one": (
        "{path} không phải tệp lượt bị từ chối do `kiosk-central import` ghi (hoặc quá "
        "lớn); không thay đổi gì",
        "{path} is not a refusals file `kiosk-central import` wrote (or is too large); "
        "nothing changed"),
    "sync.refusals_old_format": (
        "{path} là tệp lượt bị từ chối định dạng cũ (phiên bản {version}) do một trung tâm "
        "chưa nâng cấp ghi; không thay đổi gì. Nhập lại tệp tồn đọng ở một trung tâm đã "
        "nâng cấp để có tệp mới",
        "{path} is a refusals file of an older format (version {version}), written by a "
        "centre not yet upgraded; nothing changed. Import the backlog file again at an "
        "upgraded centre for a new one"),
    "sync.refusals_other_file": (
        "{path} trả lời cho một tệp tồn đọng mà trạm này không xuất ra (của trạm {kiosk} "
        "khác, hoặc một lần xuất không còn ghi trong kho của trạm này); không thay đổi gì. "
        "Hãy nạp tệp .refused nằm cạnh tệp tồn đọng mà trạm này đã xuất",
        "{path} answers a backlog file this kiosk did not export (another kiosk's, {kiosk}, "
        "or an export this kiosk's store holds no record of); nothing changed. Load the "
        ".refused beside a backlog file this kiosk exported"),
    "sync.refusals_altered": (
        "{path} đã bị sửa sau khi trung tâm ghi, hoặc không phải do trung tâm ghi cho tệp "
        "của trạm này; không thay đổi gì. Nhập lại tệp tồn đọng ở trung tâm để có tệp "
        ".refused mới",
        "{path} was altered after the centre wrote it, or not written by the centre for "
        "this kiosk's file; nothing changed. Import the backlog file at the centre again for "
        "a new .refused"),
    "sync.refusals_other_centre": (
        "{path} do trung tâm {theirs} ghi, không phải trung tâm của trạm này ({ours}): tệp "
        "tồn đọng đã được nhập vào một cơ sở dữ liệu khác dùng cùng khoá (trung tâm thử "
        "nghiệm, một bản sao?), nơi có thể không giữ các lượt nó xác nhận; không thay đổi "
        "gì, các lượt vẫn chờ gửi. Hãy nhập tệp tồn đọng ở trung tâm {ours} "
        "(`kiosk-central init` ở đó in mã trung tâm) rồi nạp tệp .refused mới",
        "{path} was written by centre {theirs}, not by this kiosk's centre ({ours}): the "
        "backlog file was imported into another database with the same key (a staging "
        "centre, a copy?), which may not hold the entries it acknowledges; nothing changed, "
        "the entries stay pending. Import the backlog file at centre {ours} "
        "(`kiosk-central init` there prints its id) and load its new .refused"),
    "sync.refusals_no_centre": (
        "{path} không nêu mã trung tâm, mà trung tâm của trạm này ({ours}) luôn nêu mã của "
        "mình: tệp tồn đọng đã được nhập vào một cơ sở dữ liệu khác dùng cùng khoá, chạy "
        "phiên bản cũ (trung tâm thử nghiệm, một bản sao?), nơi có thể không giữ các lượt nó "
        "xác nhận; không thay đổi gì, các lượt vẫn chờ gửi. Hãy nhập tệp tồn đọng ở trung "
        "tâm {ours} (`kiosk-central init` ở đó in mã trung tâm) rồi nạp tệp .refused mới",
        "{path} names no centre, and this kiosk's centre ({ours}) names itself in its "
        "answers: the backlog file was imported into another database with the same key, "
        "on an earlier release (a staging centre, a copy?), which may not hold the entries "
        "it acknowledges; nothing changed, the entries stay pending. Import the backlog "
        "file at centre {ours} (`kiosk-central init` there prints its id) and load its new "
        ".refused"),
    "sync.refusals_loaded": (
        "Đã đánh dấu {count} trong {named} lượt tệp nêu (máy {kiosk}) là bị trung tâm từ "
        "chối (số còn lại đã được nhận, đã bị từ chối hoặc không có ở đây); xem lý do bằng "
        "`kiosk sync status`, sửa rồi chạy `kiosk sync retry-rejected`",
        "Marked {count} of the {named} entries the file names (kiosk {kiosk}) as refused by "
        "the centre (the rest were acknowledged, refused already, or are not here); see why "
        "with `kiosk sync status`, fix it, then `kiosk sync retry-rejected`"),
    "sync.refusals_none": (
        "Trung tâm không từ chối lượt nào của tệp (máy {kiosk})",
        "The centre refused none of the file's entries (kiosk {kiosk})"),
    "sync.refusals_cut_short": (
        "Lần nhập tệp này ở trung tâm bị dừng giữa chừng: tệp chỉ nêu các lượt trung tâm "
        "đã xử lý trước chỗ dừng; các lượt trung tâm chưa xử lý vẫn chờ gửi ở đây. Nhập lại "
        "tệp ở trung tâm để biết nốt",
        "The centre's import of that file stopped part-way: the file names only the entries "
        "answered before the stop; those the centre did not answer stay waiting here. Import "
        "the file at the centre again to learn the rest"),
    "sync.answer_acknowledged": (
        "Trung tâm xác nhận đã có {held} lượt của tệp: {acknowledged} lượt rời khỏi danh "
        "sách chờ gửi, {already} lượt đã được xác nhận từ trước, {unknown} mã không có ở đây",
        "The centre confirms it holds {held} entries of the file: {acknowledged} left the "
        "pending set, {already} were acknowledged already, {unknown} ids are not here"),
    "sync.answer_uncheckable": (
        "Tệp này trả lời một lần xuất mà trạm chưa giữ khóa xác nhận (xuất trước bản cập "
        "nhật này): không thể tin các lượt trung tâm nói đã có, chúng vẫn chờ gửi đến khi "
        "trạm có mạng. Xuất lại (`kiosk sync export`), nhập ở trung tâm rồi nạp tệp trả lời "
        "mới để chúng rời khỏi danh sách chờ",
        "This file answers an export this kiosk kept no receipt key of (written before this "
        "release): the entries the centre says it holds cannot be confirmed from it and stay "
        "pending until the kiosk reaches the network. Export again (`kiosk sync export`), "
        "import that file at the centre and load its answer for them to leave the pending "
        "set"),
    "sync.answer_no_centre": (
        "Tệp này không nêu mã trung tâm (trung tâm chưa nâng cấp): không kiểm tra được "
        "rằng trung tâm của trạm này đã ghi nó; đã nạp như trước",
        "This file names no centre id (a centre not yet upgraded): that this kiosk's "
        "centre wrote it could not be checked; loaded as before"),
    "sync.answer_centre_unknown": (
        "Tệp này do trung tâm {centre} ghi, nhưng trạm chưa biết mã trung tâm của mình (trạm "
        "chỉ học mã từ trung tâm tại địa chỉ đồng bộ): các lượt trung tâm nói đã có chưa "
        "được xác nhận, vẫn chờ gửi và sẽ có trong lần xuất sau; không mất gì. Hãy cho trạm "
        "kết nối với trung tâm một lần (`kiosk sync push`) hoặc đăng ký lại bằng mã đăng ký "
        "của trung tâm, rồi nạp lại tệp này",
        "This file was written by centre {centre}, but this kiosk does not know its centre's "
        "id yet (it learns it only from its centre at the server address): the entries the "
        "centre says it holds are not acknowledged, they stay pending and go in the next "
        "export; nothing is lost. Connect the kiosk to its centre once (`kiosk sync push`) "
        "or enrol it again with a code from its centre, then load this file again"),
    "sync.answer_no_receipt": (
        "Tệp này không có xác nhận các lượt trung tâm đã có (trung tâm chưa nâng cấp): "
        "chúng vẫn chờ gửi đến khi trạm có mạng hoặc trung tâm nâng cấp và nhập lại tệp",
        "This file acknowledges no entries the centre holds (a centre not yet upgraded): "
        "they stay pending until the kiosk reaches the network, or an upgraded centre "
        "imports the file again"),
    "sync.answer_deletable": (
        "Đã nạp xong; có thể xóa {path} (tệp nêu mã các lượt bị từ chối, tức giờ quét của "
        "chúng): `kiosk sync load-refusals --delete` xóa tệp sau khi nạp",
        "Loaded; {path} can now be deleted (it names the refused entries' ids, that is their "
        "scan times): `kiosk sync load-refusals --delete` removes it after the load"),
    "sync.answer_deleted": (
        "Đã nạp xong và đã xóa {path}",
        "Loaded; {path} is deleted"),
    "sync.answer_not_deleted": (
        "Đã nạp xong nhưng không xóa được {path}: {reason}. Hãy tự xóa tệp (nạp lại không "
        "thay đổi gì)",
        "Loaded, but {path} could not be deleted: {reason}. Delete it by hand (loading it "
        "again changes nothing)"),
    "sync.pending_unenrolled": (
        "trong số đó, bản ghi của {kiosks} thuộc mã trạm không phải mã đã cấu hình của trạm "
        "này và không có ghi nhận nào cho thấy đã đăng ký ở đây. Nếu là lượt quét thử: "
        "`kiosk sync discard-unenrolled --kiosk-id {first} --reason …` (không có --yes: chỉ "
        "đếm). Nếu {first} là mã trạm thật: gửi bằng mã đồng bộ của nó (`kiosk sync push "
        "--kiosk-id {first} --token-file TỆP`) hoặc xuất ra tệp",
        "of these, the entries of {kiosks} are under a kiosk id that is not this kiosk's "
        "configured id and no record shows enrolled here. If these are test scans: `kiosk "
        "sync discard-unenrolled --kiosk-id {first} --reason …` (without --yes: only "
        "counted). If {first} is a real kiosk id: send them with its token (`kiosk sync push "
        "--kiosk-id {first} --token-file FILE`) or export them"),
    "sync.discard_preview": (
        "{count} bản ghi của mã trạm {kiosk} chưa từng được gửi hay xuất ({checkpoints}; từ "
        "{first} đến {last}), và không có ghi nhận nào ở đây cho thấy mã này đã đăng ký. "
        "Trước khi xoá, kiểm tra ở trung tâm (`kiosk-central kiosks list`) rằng không có trạm "
        "nào mang mã {kiosk}. Để xoá hẳn (ghi vào nhật ký kiểm tra), chạy lại với --yes",
        "{count} entries of kiosk id {kiosk} were never sent nor exported ({checkpoints}; "
        "from {first} to {last}), and no record here shows the id enrolled. Before deleting, "
        "check at the centre (`kiosk-central kiosks list`) that no kiosk has the id {kiosk}. "
        "To delete them for good (written to the audit log), run again with --yes"),
    "sync.discard_done": (
        "Đã xoá {count} bản ghi của mã trạm {kiosk} (nhật ký kiểm tra: sync.discard_unenrolled)",
        "Deleted {count} entries of kiosk id {kiosk} (audit log: sync.discard_unenrolled)"),
    "sync.discard_none": ("Không có bản ghi chờ gửi nào của mã trạm {kiosk}: không có gì để xoá",
                          "No entries of kiosk id {kiosk} waiting: nothing to delete"),
    "sync.discard_configured": (
        "Không xoá: {kiosk} là mã trạm đã đăng ký của trạm này ([kiosk] id, có mã đồng bộ, "
        "{config}): bản ghi của nó là thật. Gửi chúng: `kiosk sync push`",
        "Not deleted: {kiosk} is this kiosk's enrolled id ([kiosk] id, with a token, "
        "{config}): its entries are real. Send them: `kiosk sync push`"),
    "sync.discard_rejected_preview": (
        "{count} bản ghi bị trung tâm từ chối ({codes}; quét từ {first} đến {last}) sẽ bị xoá "
        "hẳn, cả họ tên: trung tâm chưa từng nhận chúng. Chỉ xoá những bản ghi trung tâm sẽ "
        "không bao giờ nhận; bản ghi sửa được thì sửa rồi `kiosk sync retry-rejected`. Để "
        "xoá (ghi vào nhật ký kiểm tra), chạy lại với --yes",
        "{count} entries the centre refused ({codes}; scanned from {first} to {last}) would "
        "be deleted for good, names included: the centre never took them. Delete only those "
        "it will never take; fix the others and `kiosk sync retry-rejected`. To delete them "
        "(written to the audit log), run again with --yes"),
    "sync.discard_rejected_done": (
        "Đã xoá {count} bản ghi bị từ chối (nhật ký kiểm tra: sync.discard_rejected)",
        "Deleted {count} refused entries (audit log: sync.discard_rejected)"),
    "sync.discard_rejected_none": (
        "Không có bản ghi bị từ chối nào như vậy: không có gì để xoá",
        "No such refused entries: nothing to delete"),
    "sync.no_refusal_code": ("không có mã", "no code"),
    "sync.discard_needs_reason": ("Cần --reason: vì sao xoá các bản ghi này (ghi vào nhật ký "
                                  "kiểm tra)",
                                  "--reason is needed: why these entries are deleted (written "
                                  "to the audit log)"),
    "sync.push_interrupted": (
        "Đã dừng gửi; {remaining} lượt vẫn chờ gửi", "Push stopped; {remaining} entries stay "
        "pending"),
    "sync.waiting": (  # Wait.words: {at} is HH:MM, or YYYY-MM-DD HH:MM on another day
        "trung tâm yêu cầu chờ {seconds} giây: gửi lại lúc {at}",
        "the centre asks to wait {seconds} s: sending again at {at}"),
    "sync.push_waiting": (
        "{waiting} — Ctrl-C để dừng; các lượt vẫn chờ gửi",
        "{waiting} — Ctrl-C to stop; the entries stay pending"),
    "sync.push_another_sending": (
        "một tiến trình khác (pid {pid}: một `kiosk sync push` khác, hoặc trạm đang chạy) "
        "đang gửi các lượt chờ của trạm này: chờ nó xong rồi gửi phần còn lại, không gửi "
        "trùng — Ctrl-C để dừng; các lượt vẫn chờ gửi",
        "another process (pid {pid}: another `kiosk sync push`, or the running kiosk) is "
        "sending this kiosk's pending entries: waiting for it to end, then sending what it "
        "left, nothing twice — Ctrl-C to stop; the entries stay pending"),
    "sync.push_another_still_sending": (
        "một tiến trình khác (pid {pid}: một `kiosk sync push` khác, hoặc trạm đang chạy) "
        "vẫn đang gửi các lượt chờ của trạm này sau {limit} giây chờ: lần gửi này dừng, các "
        "lượt vẫn chờ gửi — gửi lại khi nó xong (nếu nó bị treo hay tạm dừng bằng Ctrl-Z, "
        "hãy dừng nó)",
        "another process (pid {pid}: another `kiosk sync push`, or the running kiosk) is "
        "still sending this kiosk's pending entries after {limit} s of waiting: this push "
        "stopped, the entries stay pending — send again once it has ended (stop it if it "
        "hangs or was suspended with Ctrl-Z)"),
    "sync.screen_another_sending": (
        "Một tiến trình khác (pid {pid}) đang gửi các lượt chờ của trạm này: chờ nó xong (tối "
        "đa {limit} giây) rồi gửi phần còn lại, không gửi trùng; các lượt vẫn chờ gửi.",
        "Another process (pid {pid}) is sending this kiosk's pending entries: waiting for it "
        "to end (at most {limit} s), then sending what it left, nothing twice; the entries "
        "stay pending."),
    "sync.screen_waiting": (
        "Tạm dừng gửi — {waiting}; các lượt vẫn chờ gửi.",
        "Sending paused — {waiting}; the entries stay pending."),
    "sync.push_wait_too_long": (
        "trung tâm yêu cầu chờ {seconds} giây (đến {until}), lâu hơn mức một lần gửi ngay "
        "chờ ({limit} giây): đã dừng, các lượt vẫn chờ gửi — gửi lại sau {until} ({reason})",
        "the centre asks to wait {seconds} s (until {until}), longer than a push waits "
        "({limit} s): stopped, the entries stay pending — send again after {until} "
        "({reason})"),
    "sync.held_back": (
        "trung tâm không lưu bản ghi {entry} ({why}) trong khi vẫn lưu các bản ghi khác: "
        "các bản ghi còn lại được gửi trước, bản ghi này được gửi lại sau {seconds} giây; nó "
        "vẫn chờ gửi cho tới khi trung tâm lưu",
        "the centre did not store entry {entry} ({why}) while it stored the others: "
        "the rest go first, and it is sent again in {seconds} s; it stays pending until the "
        "centre stores it"),
    "sync.unusable_answer": ("câu trả lời của trung tâm không dùng được: {detail}",
                             "unusable answer from the centre: {detail}"),
    "sync.answer_too_large": ("lớn hơn {limit} MiB, không đọc tiếp",
                              "larger than {limit} MiB, not read further"),
    "sync.answer_too_slow": ("chưa nhận trọn sau {seconds} giây", "not whole after {seconds} s"),
    "sync.unusable_keys": ("câu trả lời về khoá tệp tồn đọng không dùng được: {detail}",
                           "unusable answer about the backlog keys: {detail}"),
    "sync.unusable_enrolment": ("câu trả lời cho việc đăng ký không dùng được: {detail}",
                                "unusable answer to the enrolment: {detail}"),
    "sync.unusable_health": ("câu trả lời kiểm tra tình trạng của trung tâm không dùng được",
                             "unusable answer from the centre's health check"),
    "sync.missing": ("thiếu {fields}", "{fields} missing"),
    "sync.size_reason": ("{size} byte: {reason}", "{size} bytes: {reason}"),
    "sync.too_large_alone": (
        "yêu cầu {size} byte chỉ chứa bản ghi này bị từ chối là quá lớn, không phải bởi trung "
        "tâm: {reason}",
        "a request of {size} bytes holding it alone was refused as too large, not by the "
        "centre: {reason}"),
    "sync.every_size_refused": (
        "Một thành phần giữa máy kiosk và trung tâm (có thể là proxy) từ chối mọi cỡ yêu cầu "
        "là quá lớn, kể cả một bản ghi riêng lẻ; yêu cầu nhỏ nhất bị từ chối: {size} byte "
        "({reason}); các bản ghi vẫn chờ "
        "gửi, không mất bản ghi nào. Cần nâng giới hạn kích thước của nó (nginx: "
        "client_max_body_size). Sẽ thử lại thưa hơn",
        "Something between the kiosk and the centre (a proxy?) refuses every request size as "
        "too large, even a single entry; the smallest refused: {size} bytes ({reason}); the "
        "entries stay pending, "
        "none is lost. Its body-size limit needs raising (nginx: client_max_body_size). "
        "Retrying rarely"),
    # -- the centre's storage (kiosk.central.storage and its engines) and calendar
    "storage.cannot_connect": (
        "cơ sở dữ liệu không sẵn sàng: không kết nối được tới {url} trong {seconds} giây",
        "database unavailable: cannot connect to {url} within {seconds} s"),
    "storage.schema_newer": (
        "lược đồ cơ sở dữ liệu v{version} mới hơn chương trình này (v{ours}); hãy nâng cấp "
        "kiosk-central",
        "database schema v{version} is newer than this program (v{ours}); upgrade "
        "kiosk-central"),
    "storage.file_schema_newer": (
        "{path}: lược đồ v{version} mới hơn chương trình này (v{ours}); hãy nâng cấp "
        "kiosk-central",
        "{path}: schema v{version} is newer than this program (v{ours}); upgrade kiosk-central"),
    "storage.no_database": (
        "không có cơ sở dữ liệu trung tâm tại {where}: kiểm tra --db / KIOSK_CENTRAL_DB "
        "(chỉ kiosk-central init mới tạo trung tâm mới)",
        "no centre database at {where}: check --db / KIOSK_CENTRAL_DB (only kiosk-central "
        "init starts a new centre)"),
    "storage.no_schema": (
        "{where} không chứa cơ sở dữ liệu trung tâm (chưa có bảng nào): kiểm tra --db / "
        "KIOSK_CENTRAL_DB (chỉ kiosk-central init mới tạo trung tâm mới)",
        "{where} holds no centre database (no tables yet): check --db / KIOSK_CENTRAL_DB "
        "(only kiosk-central init starts a new centre)"),
    "storage.pool_full": ("bộ lưu trữ đang bận: mọi kết nối cơ sở dữ liệu đều đang được dùng",
                          "storage busy: all database connections in use"),
    "storage.writing": ("bộ lưu trữ đang bận: trung tâm đang ghi việc khác",
                        "storage busy: the centre is writing something else"),
    "storage.busy": ("bộ lưu trữ đang bận: {detail}", "storage busy: {detail}"),
    "storage.unavailable": ("cơ sở dữ liệu không sẵn sàng: {detail}",
                            "database unavailable: {detail}"),
    "storage.error": ("lỗi cơ sở dữ liệu: {detail}", "database error: {detail}"),
    "storage.canceled": (
        "cơ sở dữ liệu đã huỷ một câu lệnh (chạy quá {limit}, hoặc bị quản trị viên huỷ); sẽ "
        "thử lại sau",
        "the database canceled a statement (it ran past {limit}, or an administrator "
        "canceled it); to be tried again later"),
    "storage.file_error": ("{path}: {detail}", "{path}: {detail}"),
    "storage.no_setting": ("cơ sở dữ liệu thiếu thiết lập {key}",
                           "setting {key} missing from the database"),
    "storage.bad_url": (
        "địa chỉ cơ sở dữ liệu {url}: cần sqlite:///đường/dẫn/central.db hoặc postgresql://…",
        "database URL {url}: expected sqlite:///path/central.db or postgresql://…"),
    "api.sign_in": ("hãy đăng nhập bảng điều khiển trước", "sign in to the dashboard first"),
    "api.bad_parameter": ("{name}: cần dạng {shape}, nhận được {got}",
                          "{name}: expected {shape}, got {got}"),
    "api.no_trust_list": (
        "trung tâm này chưa có danh sách khoá: nhập bằng `kiosk-central certificates import "
        "TỆP`",
        "this centre holds no trust list: import one with `kiosk-central certificates "
        "import FILE`"),
    "api.storage_unavailable": ("bộ lưu trữ không sẵn sàng: {detail}",
                                "storage unavailable: {detail}"),
    "calendar.unknown_zone": ("múi giờ {name}: không rõ (ví dụ đúng: {example})",
                              "time zone {name}: unknown (expected e.g. {example})"),
    # -- the kiosk's store (kiosk.store): why a file cannot be opened or written
    "store.no_backup": (
        "{path}: không tạo được bản sao lưu trước khi nâng cấp từ lược đồ v{version} "
        "({detail}); chưa thay đổi gì",
        "{path}: no backup before migrating from schema v{version} ({detail}); nothing was "
        "changed"),
    "store.upgrade_copy_deleted": (
        "{path}: đã xoá bản sao trước nâng cấp — cũ hơn thời hạn lưu {days} ngày, và kho "
        "dữ liệu đã được kiểm tra là tốt sau nâng cấp",
        "{path}: the copy made before the upgrade was deleted — older than the {days}-day "
        "retention, and the upgraded store was checked sound since"),
    "store.upgrade_copy_kept": (
        "{path}: không xoá được bản sao trước nâng cấp (đã quá thời hạn lưu); sẽ thử lại lần "
        "xoá dữ liệu cũ sau. Xem quyền của tệp và thư mục",
        "{path}: the copy made before the upgrade (past the retention) could not be deleted; "
        "tried again at the next purge. Look at the file's and folder's owner and mode"),
    "store.no_backup_room": (
        "{path}: không đủ chỗ cho bản sao lưu trước khi nâng cấp từ lược đồ v{version}: cần "
        "{need} trống cạnh kho dữ liệu, còn {free}; chưa thay đổi gì. Giải phóng chỗ trống rồi "
        "khởi động lại",
        "{path}: no room for the backup before migrating from schema v{version}: it needs "
        "{need} free beside the store, {free} is free; nothing was changed. Free some space "
        "and start again"),
    "store.migration_failed": (
        "{path}: không nâng cấp được từ lược đồ v{version} lên v{target} ({detail}); tệp vẫn "
        "ở v{version}, việc nâng cấp không thay đổi gì trong tệp (bản sao lưu: {backup}); "
        "khắc phục nguyên nhân (ổ đĩa đầy: giải phóng chỗ trống) rồi khởi động lại",
        "{path}: could not migrate from schema v{version} to v{target} ({detail}); the file "
        "stays at v{version}: the migration changed nothing in it (backup: {backup}); fix the "
        "cause (a full disk: free some space) and start again"),
    "store.not_writable": (
        "{path}: không ghi được (ổ đĩa chỉ đọc, hoặc không có quyền ghi tệp hay thư mục chứa "
        "nó); chưa ghi gì",
        "{path}: cannot be written (a read-only disk, or no write permission on the file or "
        "its folder); nothing recorded"),
    "store.missing": (
        "{path}: không còn tệp kho dữ liệu (đã bị xoá hoặc dời đi trong khi trạm chạy); không "
        "tạo một kho trống thay vào chỗ đó",
        "{path}: the store file is missing (deleted or moved away while the kiosk runs); no "
        "empty one is made in its place"),
    "store.replaced": (
        "{path}: không còn là tệp kho dữ liệu trạm đã mở (một tệp khác đã được đặt vào chỗ đó "
        "trong khi trạm chạy); không mở tệp đó cùng lúc với kho",
        "{path}: no longer the store file the kiosk opened (another file was put in its place "
        "while the kiosk runs); it is not opened beside the store"),
    "store.gone": (
        "{path}: tệp kho dữ liệu đã bị xoá hoặc thay bằng tệp khác trong khi trạm chạy; không "
        "ghi được lượt quét nào cho đến khi khởi động lại trạm",
        "{path}: the store file was deleted or replaced while the kiosk runs; no scan is "
        "recorded until the kiosk is restarted"),
    "store.log_gone": (
        "{path}: tệp nhật ký ghi (-wal) hoặc tệp chỉ mục của nó (-shm) bên cạnh tệp kho dữ "
        "liệu đã bị xoá hoặc thay trong khi trạm chạy; không ghi được lượt quét nào cho đến "
        "khi khởi động lại trạm. Gọi kỹ thuật viên khởi động lại trạm",
        "{path}: the store's write-ahead log (-wal) or its index (-shm) beside it was deleted "
        "or replaced while the kiosk runs; no scan is recorded until the kiosk is restarted. "
        "Call the technician to restart the kiosk"),
    "store.damaged": (
        "{path}: tệp kho dữ liệu bị hỏng (thấy khi kiểm tra toàn bộ tệp, hoặc khi ghi); không "
        "ghi được lượt quét nào. Gọi kỹ thuật viên: dừng trạm, rồi chạy kiosk store recover "
        "(giữ lại tệp hỏng); trong lúc chờ hãy ghi vào sổ giấy",
        "{path}: the store file is damaged (found by the whole-file check, or by a write); no "
        "scan is recorded. Call the technician: stop the kiosk, then run kiosk store recover "
        "(the damaged file is kept); use the paper list meanwhile"),
    "store.unconfirmed": (
        "{path}: không truy cập được ({detail}), nên không biết còn là tệp kho dữ liệu trạm "
        "đã mở hay không (thư mục chứa nó bị thay, hoặc ổ đĩa lỗi); không ghi được lượt quét "
        "nào cho đến khi truy cập lại được và vẫn là đúng tệp đó, hoặc khởi động lại trạm",
        "{path}: cannot be looked at ({detail}), so whether it is still the store file the "
        "kiosk opened is unknown (its folder replaced, or a failing disk); no scan is "
        "recorded until it can be looked at again and is that same file, or the kiosk is "
        "restarted"),
    "store.folder_missing": ("thư mục kho không còn", "the store folder is missing"),
    # -- why the operating system refused a file (os_words): its own words are English
    "os.loop": ("các liên kết trên đường dẫn tạo thành vòng lặp",
                "the links on the path loop back on themselves"),
    "os.not_a_folder": ("một phần của đường dẫn không phải là thư mục",
                        "part of the path is not a folder"),
    "os.io": ("ổ đĩa báo lỗi đọc ghi", "the disk reports a read or write error"),
    "os.stale": ("ổ đĩa mạng không còn nhận ra tệp (mất kết nối hoặc đã gắn lại)",
                 "the network disk no longer knows the file (disconnected or mounted again)"),
    "os.denied": ("không có quyền truy cập", "permission denied"),
    "os.missing": ("không có tệp hoặc thư mục đó", "no such file or folder"),
    "os.disk_full": ("ổ đĩa đã đầy", "the disk is full"),
    "os.read_only": ("ổ đĩa chỉ cho đọc, không cho ghi", "the disk is read-only"),
    "os.exists": ("đã có tệp hoặc thư mục mang tên đó", "a file or folder of that name exists"),
    "os.not_a_file": ("đường dẫn không phải tệp thường (là một ống dẫn, thiết bị hay socket)",
                      "the path is not a regular file (a pipe, a device or a socket)"),
    "store.log_wrong_kind": (
        "{file} bên cạnh nó: {kind}; tệp nhật ký ghi (-wal) và tệp chỉ mục (-shm) của kho phải "
        "là tệp thường, hoặc chưa có",
        "{file} beside it: {kind}; the store's write-ahead log (-wal) and its index (-shm) "
        "must be regular files, or not there"),
    "store.foreign": (
        "tệp có bảng của một chương trình khác, không phải kho dữ liệu của trạm; trạm không "
        "ghi gì vào tệp này",
        "the file holds another program's tables, not a kiosk store; the kiosk writes nothing "
        "to it"),
    "os.is_a_folder": ("đường dẫn là một thư mục, không phải tệp",
                       "the path is a folder, not a file"),
    "os.busy": ("tệp hoặc thiết bị đang được dùng", "the file or device is in use"),
    "os.not_permitted": ("hệ điều hành không cho phép thao tác này",
                         "the operating system does not permit this"),
    "os.other": ("lỗi hệ điều hành {errno}", "operating system error {errno}"),
    # -- why SQLite refused the store (failure_words): its own words are English
    "sqlite.damaged": ("SQLite thấy các trang của tệp bị hỏng",
                       "SQLite finds the file's pages damaged"),
    "sqlite.not_a_database": (
        "tệp không phải cơ sở dữ liệu SQLite, hoặc phần đầu của tệp bị hỏng",
        "the file is not an SQLite database, or its beginning is damaged"),
    "sqlite.busy": ("một chương trình khác đang khoá kho dữ liệu",
                    "another program holds the store locked"),
    "sqlite.read_only": ("không ghi được tệp hoặc thư mục chứa nó",
                         "the file or its folder cannot be written"),
    "sqlite.cannot_open": ("không mở được tệp", "the file cannot be opened"),
    "sqlite.statement": (
        "SQLite không chạy được một câu lệnh ({name}): lỗi của chương trình, không phải của "
        "tệp; hãy báo cho người phát triển",
        "SQLite could not run a statement ({name}): a fault of the program, not of the file; "
        "to be reported to the developers"),
    "sqlite.constraint": ("dữ liệu vi phạm một ràng buộc của cơ sở dữ liệu ({name})",
                          "the data breaks a constraint of the database ({name})"),
    "sqlite.other": ("SQLite báo lỗi {name}", "SQLite error {name}"),
    "db.append_only": (
        "bảng {table} chỉ được ghi thêm: không sửa hay xoá được điều gì đã ghi trong đó",
        "{table} is append-only: nothing recorded in it may be changed or deleted"),
    "db.trigger": ("một quy tắc (trigger) của cơ sở dữ liệu đã từ chối thay đổi ({sqlstate})",
                   "a rule (trigger) of the database refused the change ({sqlstate})"),
    "db.driver": (
        "trình điều khiển cơ sở dữ liệu từ chối lời gọi ({name}): lỗi của chương trình; hãy "
        "báo cho người phát triển",
        "the database driver refused the call ({name}): a fault of the program; to be "
        "reported to the developers"),
    # -- why PostgreSQL failed the centre (failure_words, by SQLSTATE): its words are English
    "postgres.connection": ("mất kết nối tới máy chủ cơ sở dữ liệu, hoặc không kết nối được",
                            "the connection to the database server was lost or not made"),
    "postgres.cannot_connect_now": (
        "máy chủ cơ sở dữ liệu đang khởi động hoặc đang tắt, chưa nhận kết nối",
        "the database server is starting up or shutting down and takes no connections yet"),
    "postgres.shut_down": ("máy chủ cơ sở dữ liệu đã bị tắt giữa chừng",
                           "the database server was shut down mid-command"),
    "postgres.disk_full": ("ổ đĩa của máy chủ cơ sở dữ liệu đã đầy",
                           "the database server's disk is full"),
    "postgres.out_of_memory": ("máy chủ cơ sở dữ liệu hết bộ nhớ",
                               "the database server is out of memory"),
    "postgres.too_many_connections": ("máy chủ cơ sở dữ liệu đã đủ số kết nối tối đa",
                                      "the database server has all the connections it allows"),
    "postgres.resources": ("máy chủ cơ sở dữ liệu thiếu tài nguyên ({sqlstate})",
                           "the database server is short of resources ({sqlstate})"),
    "postgres.canceled": ("câu lệnh bị huỷ (quá thời gian cho phép, hoặc do quản trị viên)",
                          "the statement was canceled (past its time limit, or by an "
                          "administrator)"),
    "postgres.lock_timeout": ("một phiên khác đang khoá bảng cần dùng, quá thời gian chờ",
                              "another session held a table it needs locked past the wait "
                              "allowed"),
    "postgres.serialization": ("xung đột với một giao dịch đồng thời; cần thử lại",
                               "it conflicted with a concurrent transaction; to be tried again"),
    "postgres.deadlock": ("bế tắc với một giao dịch khác; cần thử lại",
                          "it deadlocked with another transaction; to be tried again"),
    "postgres.rolled_back": ("giao dịch bị huỷ ({sqlstate}); cần thử lại",
                             "the transaction was rolled back ({sqlstate}); to be tried again"),
    "postgres.operator": ("quản trị viên hoặc máy chủ đã can thiệp ({sqlstate})",
                          "an administrator or the server intervened ({sqlstate})"),
    "postgres.program_limit": ("vượt giới hạn của PostgreSQL ({sqlstate})",
                               "a PostgreSQL limit was exceeded ({sqlstate})"),
    "postgres.too_large": (
        "một giá trị vượt quá giới hạn của PostgreSQL (một dòng chỉ mục hoặc một trường quá "
        "lớn); câu lệnh sẽ lỗi mỗi lần chạy",
        "a value exceeds a PostgreSQL limit (an index row or a field too large); the "
        "statement fails every time"),
    "postgres.too_complex": ("câu lệnh quá phức tạp đối với PostgreSQL",
                             "the statement is too complex for PostgreSQL"),
    "postgres.too_many_columns": ("quá nhiều cột so với giới hạn của PostgreSQL",
                                  "more columns than PostgreSQL allows"),
    "postgres.too_many_arguments": ("quá nhiều đối số cho một hàm của PostgreSQL",
                                    "more arguments to a function than PostgreSQL allows"),
    "postgres.statement": (
        "PostgreSQL không chạy được một câu lệnh ({sqlstate}): lỗi của chương trình; hãy báo "
        "cho người phát triển",
        "PostgreSQL could not run a statement ({sqlstate}): a fault of the program; to be "
        "reported to the developers"),
    "postgres.constraint": ("dữ liệu vi phạm một ràng buộc của cơ sở dữ liệu ({sqlstate})",
                            "the data breaks a constraint of the database ({sqlstate})"),
    "postgres.denied": ("tài khoản cơ sở dữ liệu không có quyền này",
                        "the database account lacks this permission"),
    "postgres.denied_on": ("tài khoản cơ sở dữ liệu không có quyền này (PostgreSQL: {detail})",
                           "the database account lacks this permission (PostgreSQL: "
                           "{detail})"),
    "postgres.refused_login": ("máy chủ cơ sở dữ liệu từ chối đăng nhập",
                               "the database server refused the login"),
    "postgres.no_database": ("không có cơ sở dữ liệu mang tên đó",
                             "no database of that name"),
    "postgres.internal": ("lỗi nội bộ của PostgreSQL ({sqlstate})",
                          "PostgreSQL internal error ({sqlstate})"),
    "postgres.other": ("PostgreSQL báo lỗi {sqlstate}", "PostgreSQL error {sqlstate}"),
    "store.read_only_schema": (
        "{path}: chỉ đọc, và lược đồ v{version} của tệp không phải v{ours} của chương trình "
        "này; chỉ đọc được sau khi trạm đã mở tệp một lần với quyền ghi",
        "{path}: read-only, and its schema v{version} is not this program's v{ours}; it can "
        "only be read after the kiosk has opened it once with write access"),
    "store.schema_newer": (
        "{path}: lược đồ cơ sở dữ liệu v{version} mới hơn chương trình này (v{ours}); hãy "
        "cập nhật phần mềm trạm",
        "{path}: database schema v{version} is newer than this program (v{ours}); upgrade "
        "the kiosk software"),
    "store.schema_newer_here": (
        "kho của một phiên bản trạm mới hơn (lược đồ v{version}, chương trình này v{ours}); "
        "hãy cập nhật phần mềm trạm",
        "a newer kiosk version's store (schema v{version}, this program v{ours}); upgrade the "
        "kiosk software"),
    "store.check_failed": (
        "{path}: không chạy được việc kiểm tra toàn bộ tệp ({detail}); chưa biết gì về tệp",
        "{path}: the whole-file check could not run ({detail}); nothing is known about the "
        "file yet"),
    "store.failed": ("{path}: {detail}", "{path}: {detail}"),
    "store.sqlite": ("{detail}", "{detail}"),
    # -- why the store's last write failed (Store.failing): until one commits
    "store.busy": (
        "{path}: một chương trình khác đang giữ cơ sở dữ liệu (sqlite3 để mở, công cụ sao "
        "lưu…) nên lượt quét không được lưu; mỗi lượt quét sau vẫn được thử ghi lại. Đóng "
        "chương trình đó, hoặc gọi kỹ thuật viên",
        "{path}: another program holds the database (sqlite3 left open, a backup tool…), so "
        "scans are not saved; each next scan is tried again. Close that program, or call the "
        "technician"),
    "store.busy_kiosk": (  # kiosk.store.kiosk_command_using: the kiosk's own command named
        "{path}: lệnh {command} của chính trạm (pid {pid}) đang dùng cơ sở dữ liệu nên lượt "
        "quét không được lưu; mỗi lượt quét sau vẫn được thử ghi lại. Chờ lệnh đó chạy "
        "xong, hoặc dừng nó (Ctrl+C trong cửa sổ của nó, hoặc kill {pid}); không rõ thì "
        "gọi kỹ thuật viên",
        "{path}: the kiosk's own command {command} (pid {pid}) is using the database, so "
        "scans are not saved; each next scan is tried again. Let it finish, or stop it "
        "(Ctrl+C in its terminal, or kill {pid}); if unsure, call the technician"),
    "store.disk_full": (
        "{path}: ổ đĩa đầy nên lượt quét không được lưu; mỗi lượt quét sau vẫn được thử ghi "
        "lại. Gọi kỹ thuật viên để giải phóng chỗ trống",
        "{path}: the disk is full, so scans are not saved; each next scan is tried again. "
        "Call the technician to free some space"),
    "store.full_read_only": (
        "{path}: ổ đĩa đầy nên kho chỉ được mở để đọc, không ghi được gì vào kho. Giải phóng "
        "chỗ trống trên ổ đĩa chứa {folder} (xem: df -h {folder})",
        "{path}: the disk is full, so the store is open for reading only and nothing can be "
        "written to it. Free some space on the disk holding {folder} (see: df -h {folder})"),
    "store.disk_read_only": (
        "{path}: ổ đĩa không cho ghi (chỉ đọc, hoặc tệp bị khoá không cho sửa) nên lượt quét "
        "không được lưu; mỗi lượt quét sau vẫn được thử ghi lại. Gọi kỹ thuật viên",
        "{path}: the disk refuses writes (read-only, or the file locked against changes), so "
        "scans are not saved; each next scan is tried again. Call the technician"),
    "store.disk_error": (
        "{path}: ổ đĩa báo lỗi khi ghi nên lượt quét không được lưu; mỗi lượt quét sau vẫn "
        "được thử ghi lại. Gọi kỹ thuật viên",
        "{path}: the disk reports a write error, so scans are not saved; each next scan is "
        "tried again. Call the technician"),
    # -- a certificate that does not unpack (kiosk.certificates.cose, base45): the layer,
    #    then what is wrong; a verdict records the English (Verdict.detail)
    "hc1.at_stage": ("{stage}: {problem}", "{stage}: {problem}"),
    "hc1.prefix": ("cần bắt đầu bằng {prefix}", "expected {prefix}"),
    "hc1.library": ("{detail}", "{detail}"),
    "hc1.inflates_over": ("giải nén ra hơn {limit} byte", "inflates to more than {limit} bytes"),
    "hc1.truncated": ("luồng dữ liệu bị cắt cụt", "truncated stream"),
    "hc1.too_large": ("lớn hơn {limit} byte", "larger than {limit} bytes"),
    "hc1.not_sign1": ("không phải mảng COSE_Sign1 gồm 4 phần tử", "not a COSE_Sign1 array of 4"),
    "hc1.wrong_types": ("các thành phần COSE_Sign1 sai kiểu",
                        "COSE_Sign1 members of the wrong types"),
    "hc1.header_not_map": ("phần đầu được bảo vệ không phải một map",
                           "protected header is not a map"),
    "hc1.claims_not_map": ("payload không phải một map các claim",
                           "payload is not a map of claims"),
    "hc1.no_dcc": ("không có nội dung EU DCC (claim -260, khoá 1)",
                   "no EU DCC payload (claim -260, key 1)"),
    "hc1.bad_time": ("{name} không phải số giây", "{name} is not a number of seconds"),
    "hc1.not_cbor": ("không phải CBOR hợp lệ ({detail})", "not valid CBOR ({detail})"),
    "base45.too_long": ("{count} ký tự Base45, tối đa {max}",
                        "{count} Base45 characters, at most {max}"),
    "base45.dangling": ("thừa một ký tự Base45 ở cuối", "dangling Base45 character at the end"),
    "base45.out_of_range": ("nhóm Base45 {group} vượt giới hạn",
                            "Base45 group {group} out of range"),
    "base45.bad_char": ("{char} không phải ký tự Base45", "{char} is not a Base45 character"),
    # -- keys: the kiosk's signing key, the centre's backlog key (kiosk.sync.backlog_keys,
    #    kiosk.central.backlog_key)
    "key.signing": ("khoá ký", "signing key"),
    "key.centre": ("khoá của trung tâm", "centre key"),
    "key.not_text": ("{what}: cần văn bản base64", "{what}: expected base64 text"),
    "key.not_base64": ("{what}: không phải base64", "{what}: not base64"),
    "key.wrong_length": ("{what}: {got} byte, cần {expected}",
                         "{what}: {got} bytes, expected {expected}"),
    "key.unreadable": ("{path}: không đọc được tệp khoá: {reason}",
                       "{path}: cannot read the key file: {reason}"),
    "key.not_pem": ("{path}: không phải khoá riêng dạng PEM", "{path}: not a PEM private key"),
    "key.wrong_kind": ("{path}: chứa khoá {found}, không phải {expected}",
                       "{path}: holds a {found}, not an {expected}"),
    "centre_key.where": (
        "với PostgreSQL, hãy chỉ rõ tệp khoá tệp tồn đọng của trung tâm nằm ở đâu: "
        "--backlog-key TỆP hoặc ${variable}",
        "with PostgreSQL, say where the centre's backlog key file is: --backlog-key FILE or "
        "${variable}"),
    "centre_key.missing_given": (
        "{path}: thiếu tệp khoá tệp tồn đọng của trung tâm; các trạm của cơ sở dữ liệu này đã "
        "được cấp khoá {given}: hãy chép tệp đó vào đây (khoá mới không mở được các tệp "
        "chúng ghi)",
        "{path}: the centre's backlog key file is missing; this database's kiosks were given "
        "key {given}: copy that file here (a new key could not open the files they write)"),
    "centre_key.missing_first": (
        "{path}: thiếu tệp khoá tệp tồn đọng của trung tâm; `kiosk-central serve` tạo tệp "
        "này ở lần chạy đầu tiên",
        "{path}: the centre's backlog key file is missing; `kiosk-central serve` makes it the "
        "first time it runs"),
    "centre_key.other": (
        "{path}: chứa khoá tệp tồn đọng {held}, nhưng các trạm của cơ sở dữ liệu này được cấp "
        "khoá {given}: hãy dùng tệp chứa khoá đó",
        "{path}: holds backlog key {held}, but this database's kiosks were given {given}: use "
        "the file that holds that key"),
    # -- an enrolment code (kiosk.enrolment), the store's recovery, zbar, the screens' files
    "enrolment.too_long": ("quá dài để là mã đăng ký ({length} ký tự)",
                           "too long for an enrolment code ({length} characters)"),
    "enrolment.not_code": ("không phải mã đăng ký (mã phải bắt đầu bằng {prefix})",
                           "not an enrolment code (it must start with {prefix})"),
    "enrolment.missing": ("mã đăng ký thiếu {part}", "enrolment code without its {part}"),
    "enrolment.part.u": ("địa chỉ máy chủ", "server address"),
    "enrolment.part.k": ("mã trạm", "kiosk id"),
    "enrolment.part.c": ("điểm quét", "checkpoint"),
    "enrolment.part.s": ("mã bí mật", "secret"),
    "enrolment.part.e": ("hạn dùng", "expiry"),
    "enrolment.bad_url": ("địa chỉ máy chủ {url} không phải URL http(s)",
                          "server address {url} is not an http(s) URL"),
    "enrolment.none_seen": ("không thấy mã QR đăng ký nào trong {source}",
                            "no enrolment QR code seen in {source}"),
    "enrolment.bad_secret": ("mã bí mật trong mã đăng ký sai dạng",
                             "the enrolment secret is malformed"),
    "recovery.no_store": ("{path}: không có tệp kho dữ liệu này", "{path}: no such store file"),
    "recovery.no_backup": ("{path}: không có tệp sao lưu này", "{path}: no such backup file"),
    "recovery.backup_is_store": (
        "{path} là chính kho dữ liệu đang dùng, không phải bản sao lưu của nó",
        "{path} is the store itself, not a backup of it"),
    "recovery.backup_unreadable": (
        "{path}: không chép được bản sao lưu ({detail}); kho dữ liệu giữ nguyên",
        "{path}: the backup could not be copied ({detail}); the store is left as it was"),
    "recovery.no_entries_table": ("không có bảng lượt ra vào của trạm",
                                  "no kiosk entries table"),
    "recovery.backup_unsound": (
        "{path} không phải bản sao lưu còn tốt của kho trạm ({detail}); kho dữ liệu giữ "
        "nguyên. Chọn bản sao lưu khác",
        "{path} is not a sound kiosk store backup ({detail}); the store is left as it was. "
        "Pick another backup"),
    "recovery.store_open": (
        "{path} đang được mở (trạm đang chạy, hoặc một lệnh kiosk, trình xem cơ sở dữ liệu); "
        "chưa thay đổi gì. Dừng trạm (sudo systemctl stop checkpoint-kiosk) rồi chạy lại",
        "{path} is open (the kiosk is running, or a kiosk command, a database browser); "
        "nothing was changed. Stop the kiosk (sudo systemctl stop checkpoint-kiosk) and run "
        "this again"),
    "camera.no_zbar": ("không có zbar ({detail}); hãy cài libzbar0",
                       "zbar is not available ({detail}); install libzbar0"),
    "camera.old_zbar": ("bản libzbar này không trả được byte gốc (cần zbar ≥ 0.23)",
                        "this libzbar cannot return raw bytes (needs zbar ≥ 0.23)"),
    "ui.missing_translation": (
        "{path} bị thiếu hoặc không đọc được; tạo lại bằng scripts/build_translations.sh",
        "{path} is missing or unreadable; build it with scripts/build_translations.sh"),
}
CATALOGUE.update({f"detail.certificate_{code.rpartition('.')[2]}": words
                  for code, words in list(CATALOGUE.items())
                  if code.startswith("certificate.") and code.count(".") == 1})

_DASHBOARD: dict[str, tuple[str, str]] = {
    # the centre's dashboard (kiosk/central/web), catalogued as web.<key>
    "app.title": ("Trung tâm điểm quét", "Checkpoint centre"),
    "nav.today": ("Hôm nay", "Today"),
    "nav.reports": ("Báo cáo", "Reports"),
    "nav.checkpoints": ("Điểm quét", "Checkpoints"),
    "nav.kiosks": ("Máy kiosk", "Kiosks"),
    "nav.batches": ("Nhật ký gửi", "Batch log"),
    "nav.tracing": ("Truy vết", "Tracing"),
    "nav.audit": ("Nhật ký truy cập", "Audit log"),
    "nav.users": ("Người dùng", "Users"),
    "lang.other": ("English", "Tiếng Việt"),
    "logout": ("Đăng xuất", "Log out"),
    "login": ("Đăng nhập", "Log in"),
    "login.name": ("Tên đăng nhập", "User name"),
    "login.password": ("Mật khẩu", "Password"),
    "login.throttled": ("Quá nhiều lần thử từ máy này; đợi một phút rồi thử lại.",
                        "Too many attempts from this address; wait a minute and try again."),
    "login.wrong": ("Sai tên hoặc mật khẩu.", "Wrong name or password."),
    "password.title": ("Đổi mật khẩu", "Change password"),
    "password.must": ("Mật khẩu này do quản trị viên đặt: hãy đổi sang mật khẩu của riêng "
                      "bạn trước khi tiếp tục.",
                      "This password was set by an administrator: change it to one of your "
                      "own before going on."),
    "password.current": ("Mật khẩu hiện tại", "Current password"),
    "password.new": ("Mật khẩu mới", "New password"),
    "password.again": ("Nhập lại mật khẩu mới", "New password again"),
    "password.hint": ("Ít nhất {min} ký tự; một câu vài từ dễ nhớ hơn. Không dùng tên đăng "
                      "nhập, mật khẩu phổ biến hay ký tự lặp lại.",
                      "At least {min} characters; a phrase of a few words is easier to "
                      "remember. Not your login name, a common password or repeated "
                      "characters."),
    "password.done": ("Đã đổi mật khẩu; các phiên khác của bạn đã kết thúc.",
                      "Password changed; your other sessions ended."),
    "password.refused": ("Chưa đổi được: {reason}", "Not changed: {reason}"),
    "login.locked": ("Tên đăng nhập này tạm khoá từ địa chỉ này sau nhiều lần sai mật khẩu, "
                     "đến {until}; thử lại sau giờ đó, từ máy bạn vẫn dùng, hoặc nhờ quản trị "
                     "viên gỡ tạm khoá.",
                     "This name is locked from this address after repeated wrong passwords, "
                     "until {until}; try again then, from the computer you usually use, or "
                     "ask an administrator to unlock it."),
    "unavailable.title": ("Trung tâm chưa trả lời được lúc này",
                          "The centre cannot answer right now"),
    "unavailable.retry": ("Không có gì bị mất; hãy tải lại trang sau ít phút.",
                          "Nothing is lost; reload the page in a few minutes."),
    "unavailable.ask_admin": ("Việc này không tự hết; hãy báo quản trị viên của trung tâm.",
                              "This will not pass by itself; tell the centre's administrator."),
    "unavailable.for_admin": (
        "Việc này không tự hết: hãy xử lý nguyên nhân ở trên (nhật ký của kiosk-central serve "
        "có thông báo của cơ sở dữ liệu), rồi tải lại trang.",
        "This will not pass by itself: deal with the cause above (kiosk-central serve's log "
        "has the database's own message), then reload the page."),
    "forbidden.title": ("Không có quyền truy cập", "Access denied"),
    "forbidden.role": ("Vai trò của bạn không được xem trang này.",
                       "Your role may not see this page."),
    "forbidden.csrf": ("Biểu mẫu thiếu mã bảo vệ hoặc mã đã hết hạn; tải lại trang và gửi lại.",
                       "The form's protection token is missing or stale; reload the page and "
                       "submit again."),
    "forbidden.cross_site": (
        "Biểu mẫu được gửi từ một trang khác, không phải trang của bảng điều khiển này; không "
        "có gì được làm. Hãy mở bảng điều khiển từ địa chỉ của nó rồi gửi lại.",
        "The form was sent from another page, not one of this dashboard's; nothing was done. "
        "Open the dashboard at its own address and submit again."),
    "forbidden.cookie_twice": (
        "Trình duyệt gửi hai cookie cùng tên của bảng điều khiển (có thể một trang khác trên "
        "cùng tên miền đã đặt một cái); không có gì được làm. Hãy xoá cookie của trang này "
        "rồi đăng nhập lại.",
        "The browser sent two dashboard cookies of the same name (another page on the same "
        "domain may have set one); nothing was done. Clear this site's cookies and sign in "
        "again."),
    "too_large.title": ("Biểu mẫu quá lớn", "Form too large"),
    "too_large.form": (
        "Biểu mẫu gửi lên lớn hơn {limit} byte, nhiều hơn mọi biểu mẫu của trang này cần; "
        "không có gì được lưu. Hãy rút ngắn nội dung đã nhập rồi gửi lại.",
        "The form sent is larger than {limit} bytes, more than any form here needs; nothing "
        "was recorded. Shorten what was typed and submit again."),
    "notfound": ("Không tìm thấy.", "Not found."),
    "notfound.title": ("Không có trang này", "No such page"),
    "notfound.home": ("Về trang Hôm nay", "Go to Today"),
    "notallowed.title": ("Trang này không mở được theo cách này",
                         "This page cannot be opened this way"),
    "notallowed": ("Địa chỉ này chỉ dùng cho một nút trên trang (như nút tải tệp), không mở "
                   "trực tiếp được. Hãy quay lại trang trước và bấm lại.",
                   "This address is for a button on a page (such as a download), not to be "
                   "opened directly. Go back to the page and press it again."),
    "bad_request.number": (
        "Địa chỉ trang không dùng được: {name} phải là một số nguyên (chữ số 0-9), nhận được "
        "{got}.",
        "The page's address cannot be used: {name} must be a whole number (digits 0-9), got "
        "{got}."),
    "bad_request.flag": (
        "Địa chỉ trang không dùng được: {name} phải là true hoặc false, nhận được {got}.",
        "The page's address cannot be used: {name} must be true or false, got {got}."),
    "bad_request.choice": (
        "Địa chỉ trang không dùng được: {name} phải là một trong {choices}, nhận được {got}.",
        "The page's address cannot be used: {name} must be one of {choices}, got {got}."),
    "bad_request.date": (
        "Địa chỉ trang không dùng được: {name} phải là một ngày có thật dạng YYYY-MM-DD, nhận "
        "được {got}.",
        "The page's address cannot be used: {name} must be a real day written YYYY-MM-DD, got "
        "{got}."),
    "bad_request.month": (
        "Địa chỉ trang không dùng được: {name} phải là một tháng dạng YYYY-MM, nhận được {got}.",
        "The page's address cannot be used: {name} must be a month written YYYY-MM, got {got}."),
    "bad_request.nul": (
        "Địa chỉ trang không dùng được: {name} chứa ký tự NUL (%00), không mã hay tên nào có, "
        "nhận được {got}.",
        "The page's address cannot be used: {name} holds a NUL character (%00), which no id "
        "or name has, got {got}."),
    "role.admin": ("Quản trị", "Administrator"),
    "role.district": ("Cán bộ huyện", "District officer"),
    "role.tracer": ("Truy vết", "Tracer"),
    "role.viewer": ("Xem số liệu", "Viewer"),
    # today
    "today.title": ("Hôm nay, {day}", "Today, {day}"),
    "today.asof": ("Số liệu lúc {time} ({zone}); tự làm mới mỗi phút.",
                   "Figures as of {time} ({zone}); refreshed every minute."),
    "today.scans": ("Lượt quét đến giờ", "Scans so far"),
    "today.active": ("Điểm có quét hôm nay / đã triển khai", "Points scanning today / set up"),
    "today.ratio": ("Tỷ lệ điểm hoạt động 7 ngày", "Points active in 7 days"),
    "today.people": ("Số người", "People"),
    "today.refused": ("Mã bị từ chối", "Refused codes"),
    "today.problems": ("Vấn đề cần xử lý", "Problems"),
    "today.no_problems": ("Không có vấn đề.", "No problems."),
    "today.no_points": ("Chưa có điểm quét nào đã triển khai (chưa nhập danh sách điểm, hoặc "
                        "chưa đến ngày triển khai).",
                        "No checkpoint is set up yet (none registered, or none past its set-up "
                        "day)."),
    "today.no_points_district": ("Huyện {district} chưa có điểm quét nào đã triển khai (chưa "
                                 "đăng ký, hoặc chưa đến ngày triển khai).",
                                 "District {district} has no checkpoint set up yet (none "
                                 "registered, or none past its set-up day)."),
    "today.no_scans": ("Chưa có lượt quét nào hôm nay.", "No scans yet today."),
    "today.more": ("… và {count} vấn đề khác (xem báo cáo).",
                   "… and {count} more (see the report)."),
    # reports and tables
    "col.district": ("Huyện", "District"),
    "col.kind": ("Loại địa điểm", "Kind of place"),
    "col.point": ("Điểm", "Point"),
    "col.id": ("Mã", "Id"),
    "col.name": ("Tên", "Name"),
    "col.set_up": ("Đã triển khai", "Set up"),
    "col.scanned": ("Có quét", "Scanning"),
    "col.active7": ("Hoạt động 7 ngày", "Active 7 days"),
    "col.ratio": ("Tỷ lệ", "Ratio"),
    "col.scans": ("Lượt quét", "Scans"),
    "col.ins": ("Vào", "In"),
    "col.outs": ("Ra", "Out"),
    "col.manual": ("Nhập tay", "Manual"),
    "col.refused": ("Từ chối", "Refused"),
    "col.people": ("Số người", "People"),
    "col.problem": ("Vấn đề", "Problem"),
    "col.detail": ("Chi tiết", "Detail"),
    "col.kiosk": ("Máy", "Kiosk"),
    "col.day": ("Ngày", "Day"),
    "col.hour": ("Giờ", "Hour"),
    "col.state": ("Trạng thái", "State"),
    "col.last_seen": ("Liên lạc gần nhất", "Last heard from"),
    "col.clock": ("Lệch đồng hồ", "Clock offset"),
    "col.version": ("Phiên bản", "Version"),
    "col.pending": ("Chờ gửi", "Pending"),
    "col.oldest": ("Chờ lâu nhất", "Oldest pending"),
    "col.disk": ("Đĩa trống", "Free disk"),
    "col.devices": ("Thiết bị", "Devices"),
    "col.entries": ("Bản ghi", "Entries"),
    "col.commune": ("Xã", "Commune"),
    "col.address": ("Địa chỉ", "Address"),
    "col.time": ("Thời gian", "Time"),
    "col.direction": ("Chiều", "Direction"),
    "col.document": ("Số giấy tờ", "Document number"),
    "col.person": ("Họ tên", "Name"),
    "col.kiosks": ("Số máy", "Kiosks"),
    "col.today": ("Quét hôm nay", "Scans today"),
    "col.role": ("Vai trò", "Role"),
    "col.created": ("Ngày tạo", "Created"),
    "col.actions": ("Thao tác", "Actions"),
    "problem.no_scan_7_days": ("Không quét trong 7 ngày", "No scan in 7 days"),
    "problem.kiosk_silent_24h": ("Máy mất liên lạc 24 giờ", "Kiosk silent for 24 h"),
    "problem.one_direction": ("Chỉ quét một chiều", "One direction only"),
    "problem.refused_share": ("Tỷ lệ từ chối cao", "High refusal share"),
    "problem.manual_share": ("Tỷ lệ nhập tay cao", "High manual share"),
    "problem.clock_off": ("Đồng hồ máy lệch quá 2 phút", "Kiosk clock off by over 2 minutes"),
    "problem.old_backlog": ("Tồn đọng quá 24 giờ", "Backlog older than 24 h"),
    "problem.revoked_still_trying": ("Máy đã thu hồi vẫn gửi", "Revoked kiosk still trying"),
    "problem.replaced_token_in_use": ("Mã truy cập cũ vẫn được dùng",
                                      "Replaced token still in use"),
    "problem.token_copied": (
        "Mã truy cập của máy đang được dùng từ nhiều máy cùng lúc (có thể đã bị sao chép). "
        "Hỏi cán bộ tại điểm máy nào là máy thật, cấp mã mới cho máy đó (kiosk-central "
        "kiosks token), rồi tìm các lô bản ghi của máy kia theo mã khởi động và địa chỉ "
        "(kiosk-central kiosks sources)",
        "This kiosk's token is used from several machines at once (it may have been "
        "copied). Ask the point which machine is the real one, give it a new token "
        "(kiosk-central kiosks token), then find the other machine's batches by boot id "
        "and address (kiosk-central kiosks sources)"),
    "problem.closed_still_scanning": ("Điểm đã đóng vẫn quét", "Closed point still scanning"),
    "problem.time_uncertain": ("Giờ quét không chắc chắn (máy ngủ hoặc đồng hồ được chỉnh)",
                               "Scan times uncertain (kiosk slept, or its clock was set)"),
    "problem.time_after_arrival": (
        "Giờ quét sau lúc tới trung tâm (đồng hồ máy từng chạy nhanh)",
        "Scans dated after they arrived (the kiosk's clock ran ahead)"),
    "problem.uploads_paused_store_unconfirmed": (
        "Máy vẫn chạy nhưng tạm ngừng ghi và gửi: không xác nhận được tệp dữ liệu của máy",
        "Kiosk alive but not recording or uploading: it cannot confirm its store file"),
    "problem.uploads_paused_store_gone": (
        "Máy vẫn chạy nhưng đã ngừng ghi và gửi: tệp dữ liệu của máy bị xoá hoặc bị thay. "
        "Cử kỹ thuật viên đến ngay: máy không ghi lượt quét nào",
        "Kiosk alive but stopped recording and uploading: its store file was deleted or "
        "replaced. Send a technician now: the kiosk records no scan"),
    "problem.uploads_paused_store_log_gone": (
        "Máy vẫn chạy nhưng đã ngừng ghi và gửi: tệp nhật ký ghi bên cạnh tệp dữ liệu của "
        "máy bị xoá hoặc bị thay. Cử kỹ thuật viên đến ngay: máy không ghi lượt quét nào",
        "Kiosk alive but stopped recording and uploading: the write-ahead log beside its "
        "store file was deleted or replaced. Send a technician now: the kiosk records no "
        "scan"),
    "problem.uploads_paused_store_damaged": (
        "Máy vẫn chạy nhưng đã ngừng ghi và gửi: tệp dữ liệu của máy bị hỏng. Cử kỹ thuật "
        "viên đến ngay (kiosk store recover): máy không ghi lượt quét nào",
        "Kiosk alive but stopped recording and uploading: its store file is damaged. Send "
        "a technician now (kiosk store recover): the kiosk records no scan"),
    "problem.uploads_paused_store_refused": (
        "Máy vẫn chạy nhưng đã ngừng ghi và gửi: tệp dữ liệu của máy không ghi được. Cử kỹ "
        "thuật viên đến ngay: máy không ghi lượt quét nào",
        "Kiosk alive but stopped recording and uploading: its store file takes no writes. "
        "Send a technician now: the kiosk records no scan"),
    "problem.uploads_paused": ("Máy vẫn chạy nhưng tạm ngừng gửi",
                               "Kiosk alive but uploads paused"),
    # a problem's detail (kiosk.central.reports.PROBLEM_PARAMS), worded by
    # kiosk.central.web.i18n.Translator.detail: numbers, shares, local times and durations
    # already written as the reader writes them
    "detail.no_scan_7_days": ("triển khai từ {day}", "set up on {day}"),
    "detail.kiosk_silent_24h": ("liên lạc lần cuối lúc {time}", "last heard from at {time}"),
    "detail.kiosk_silent_24h_pending": (
        "liên lạc lần cuối lúc {time}, khi đó còn {pending} bản ghi chờ gửi",
        "last heard from at {time}, then holding {pending} entries waiting"),
    "detail.kiosk_silent_24h_never": ("chưa liên lạc lần nào", "never heard from"),
    "detail.uploads_paused": ("{pending} bản ghi chờ gửi; máy báo lúc {time}",
                              "{pending} entries waiting; reported at {time}"),
    "detail.uploads_paused_reason": ("mã lý do {reason}; {pending} bản ghi chờ gửi; máy báo "
                                     "lúc {time}",
                                     "reason code {reason}; {pending} entries waiting; "
                                     "reported at {time}"),
    "detail.clock_behind": ("đồng hồ máy chậm {duration} so với trung tâm",
                            "the kiosk's clock is {duration} behind the centre's"),
    "detail.clock_ahead": ("đồng hồ máy nhanh {duration} so với trung tâm",
                           "the kiosk's clock is {duration} ahead of the centre's"),
    "detail.old_backlog": ("bản ghi cũ nhất đã chờ gửi {duration} (theo đồng hồ máy lúc máy "
                           "báo lần cuối, cộng thời gian từ đó)",
                           "the oldest entry has waited {duration} (by the kiosk's clock when "
                           "it last reported, and the time since)"),
    "detail.token_copied": ("{machines} máy: {sources}", "{machines} machines: {sources}"),
    "detail.token_source": ("mã khởi động {boot} từ {address}, {first} đến {last}, "
                            "{pending} bản ghi chờ gửi",
                            "boot id {boot} from {address}, {first} to {last}, "
                            "{pending} entries pending"),
    "detail.set_aside": ("đã để riêng {entries} bản ghi từ mã khởi động {boot}",
                         "{entries} entries from boot id {boot} set aside"),
    "detail.one_direction": ("{ins} lượt vào, {outs} lượt ra", "{ins} in, {outs} out"),
    "detail.share": ("{share} so với {province} của cả tỉnh",
                     "{share} against {province} province-wide"),
    "detail.share_bound": ("{share}, từ {bound} trở lên (cả tỉnh {province})",
                           "{share}, {bound} or more (province-wide {province})"),
    "detail.revoked_still_trying": ("{attempts} lần gửi bị từ chối, lần cuối lúc {time}",
                                    "{attempts} refused attempts, the last at {time}"),
    "detail.replaced_token_in_use": ("{attempts} lần gửi bằng mã cũ bị từ chối, lần cuối lúc "
                                     "{time}",
                                     "{attempts} refused attempts with the old token, the last "
                                     "at {time}"),
    "detail.closed_still_scanning": ("{scans} lượt quét, điểm đã đóng từ {day}",
                                     "{scans} scans, the point closed on {day}"),
    "detail.time_uncertain": ("{scans} lượt quét tính theo thời gian máy chạy (hoặc theo độ "
                              "lệch đồng hồ trung tâm đo lần cuối: tệp tồn đọng); theo đồng hồ "
                              "máy thì có thể đã quét sớm hơn tới {duration}",
                              "scans filed by the kiosk's running time (or by the clock offset "
                              "the centre last measured: a backlog file): {scans}; by its clock "
                              "they may have been made up to {duration} earlier"),
    "detail.time_after_arrival": (
        "{scans} lượt quét được ghi vào lúc tới trung tâm; đồng hồ máy ghi giờ muộn hơn tới "
        "{duration}, nên không biết đã quét lúc nào trước đó",
        "scans filed when they arrived: {scans}; the kiosk's clock dated them up to "
        "{duration} later, so when before that they were made is unknown"),
    "report.unknown": ("(không rõ)", "(unknown)"),  # kiosk.central.reports.UNKNOWN
    "duration.seconds": ("{seconds} giây", "{seconds} s"),
    "duration.minutes": ("{minutes} phút {seconds} giây", "{minutes} min {seconds} s"),
    "duration.hours": ("{hours} giờ {minutes} phút", "{hours} h {minutes} min"),
    "duration.days": ("{days} ngày {hours} giờ", "{days} d {hours} h"),
    "state.active": ("Hoạt động", "Active"),
    "state.closed": ("Đã đóng", "Closed"),
    "state.revoked": ("Đã thu hồi", "Revoked"),
    "state.disabled": ("Đã khoá", "Disabled"),
    "state.locked_until": ("Tạm khoá (sai mật khẩu) đến {until}",
                           "Locked (wrong passwords) until {until}"),
    "state.never": ("chưa bao giờ", "never"),
    "filter": ("Lọc", "Filter"),
    "filter.all": ("Tất cả", "All"),
    "filter.search": ("Tìm mã hoặc tên", "Search id or name"),
    "filter.active7": ("Có quét trong 7 ngày", "Scanning in the last 7 days"),
    "filter.inactive7": ("Không quét trong 7 ngày", "No scan in 7 days"),
    "filter.closed": ("Đã đóng", "Closed"),
    "kind.control_post": ("Chốt kiểm soát", "Control post"),
    "kind.office": ("Cơ quan", "Office"),
    "kind.factory": ("Nhà máy", "Factory"),
    "kind.market": ("Chợ / siêu thị", "Market"),
    "kind.school": ("Trường học", "School"),
    "kind.hospital": ("Cơ sở y tế", "Hospital"),
    "kind.station": ("Bến xe / nhà ga", "Station"),
    "kind.event": ("Sự kiện", "Event"),
    "kind.other": ("Khác", "Other"),
    "page.prev": ("← Trước", "← Previous"),
    "page.next": ("Sau →", "Next →"),
    "page.count": ("{shown} trên {total} điểm", "{shown} of {total} points"),
    "checkpoints.none": ("Không có điểm quét nào để hiển thị.", "No checkpoints to show."),
    # checkpoint page
    "checkpoint.title": ("Điểm {id}", "Checkpoint {id}"),
    "checkpoint.chart": ("Lượt quét theo giờ ngày {day}", "Scans per hour on {day}"),
    "checkpoint.show": ("Xem", "Show"),
    "checkpoint.recent": ("Lượt quét gần nhất", "Latest scans"),
    "checkpoint.no_kiosks": ("Chưa có máy nào.", "No kiosks."),
    "checkpoint.no_entries": ("Chưa có lượt quét.", "No scans yet."),
    "checkpoint.masked": ("Không hiển thị họ tên và số giấy tờ ở đây; chỉ truy vết (có lý do, "
                          "ghi nhật ký) mới xem được.",
                          "Names and document numbers are not shown here; only a trace (with a "
                          "reason, logged) shows them."),
    "direction.in": ("Vào", "In"),
    "direction.out": ("Ra", "Out"),
    # kiosks
    "kiosks.enrol": ("Đăng ký máy mới", "Enrol a kiosk"),
    "kiosks.checkpoint": ("Mã điểm", "Checkpoint id"),
    "kiosks.name": ("Tên máy", "Kiosk name"),
    "kiosks.id": ("Mã máy (để trống: tự tạo)", "Kiosk id (blank: generated)"),
    "kiosks.enrolled": ("Đã đăng ký máy {id}", "Kiosk {id} enrolled"),
    "kiosks.token_once": ("Mã truy cập — chỉ hiển thị MỘT lần. Chép vào config.toml của máy "
                          "([sync] token) ngay bây giờ.",
                          "Access token — shown only ONCE. Copy it into the kiosk's config.toml "
                          "([sync] token) now."),
    "kiosks.revoke": ("Thu hồi", "Revoke"),
    "kiosks.set_aside": ("Đã để riêng {entries} bản ghi từ mã khởi động {boot} (không tính "
                         "vào số liệu và truy vết; {at}, {by}: {reason})",
                         "{entries} entries from boot id {boot} set aside (out of counts and "
                         "traces; {at}, {by}: {reason})"),
    "kiosks.point_closed": ("Điểm đã đóng từ {day}: không cần theo dõi máy này; thu hồi nếu "
                            "không dùng nữa",
                            "Point closed on {day}: nothing to chase on this kiosk; revoke it "
                            "if it is no longer used"),
    "kiosks.point_closed_holding": ("Điểm đã đóng từ {day}: máy còn bản ghi chưa về trung "
                                    "tâm — lấy về trước (để máy gửi, hoặc nhập tệp tồn đọng "
                                    "của máy); chưa thu hồi máy trước khi đó",
                                    "Point closed on {day}: this kiosk still holds entries "
                                    "not at the centre — bring them in first (let it upload, "
                                    "or import its backlog file); do not revoke it before"),
    "kiosks.revoked": ("Đã thu hồi máy {id}; mã truy cập của nó bị từ chối từ nay.",
                       "Kiosk {id} revoked; its token is refused from now on."),
    "kiosks.refused": ("Không đăng ký được: {reason}", "Cannot enrol: {reason}"),
    "kiosks.new_checkpoint": ("Điểm mới, chưa có trong danh sách điểm",
                              "New point, not yet in the registry"),
    "kiosks.new_checkpoint_hint": (
        "Nếu đúng là điểm mới chưa có trong danh sách: đánh dấu \"Điểm mới\" rồi đăng ký lại.",
        "If it really is a new point not yet in the registry: tick \"New point\" and enrol "
        "again."),
    "kiosks.problems_only": ("Chỉ máy có vấn đề", "Only kiosks with problems"),
    # the batch log
    "batches.note": ("Mỗi lô bản ghi một máy kiosk đã gửi lên trung tâm, mới nhất trước, và kết "
                     "quả của các bản ghi trong lô. Chỉ có số đếm, không có thông tin cá nhân.",
                     "Each batch of entries a kiosk sent to the centre, newest first, and what "
                     "became of its entries. Counts only, no personal data."),
    "batches.kiosk": ("Máy {id}", "Kiosk {id}"),
    "batches.all": ("← Tất cả các máy", "← All kiosks"),
    "batches.first": ("Trang đầu", "First page"),
    "batches.newer": ("← Mới hơn", "← Newer"),
    "batches.older": ("Cũ hơn →", "Older →"),
    "batches.none": ("Chưa gửi lô nào.", "No batch sent yet."),
    "batches.no_kiosks": ("Không có máy nào để hiển thị.", "No kiosks to show."),
    "col.received": ("Trung tâm nhận lúc", "Received"),
    "col.sent": ("Gửi lúc (đồng hồ máy)", "Sent (kiosk clock)"),
    "col.batch": ("Mã lô", "Batch"),
    "col.accepted": ("Mới", "New"),
    "col.duplicate": ("Trung tâm đã có", "Already held"),
    "col.past_retention": CATALOGUE["sync.past_retention_title"],
    "kiosks.count": ("{shown} trên {total} máy", "{shown} of {total} kiosks"),
    "kiosks.none": ("Chưa có máy nào.", "No kiosks enrolled."),
    # entries waiting, the oldest recorded later than the kiosk's clock reads, or by a wrong
    # clock (a flat RTC battery's 1970): an unknown age, not an empty outbox; the clock
    # alert, when the centre measured one, is named
    "kiosks.oldest_unknown": ("không rõ (đồng hồ máy đang hoặc đã từng sai)",
                              "unknown (the kiosk's clock is or was wrong)"),
    "kiosks.oldest_unknown_clock_off": (
        "không rõ (đồng hồ máy đang hoặc đã từng sai: xem “{alert}”)",
        "unknown (the kiosk's clock is or was wrong: see “{alert}”)"),
    # users
    "users.add": ("Thêm người dùng", "Add a user"),
    "users.added": ("Đã thêm {name}.", "{name} added."),
    "users.disable": ("Khoá", "Disable"),
    "users.disabled": ("Đã khoá {name}; các phiên của người này đã kết thúc, các trình duyệt "
                       "đã đăng nhập không còn được tin cậy.",
                       "{name} disabled; their sessions ended, the browsers they signed in on "
                       "no longer trusted."),
    "users.disable_ask": ("Khoá {name}?", "Disable {name}?"),
    "users.disable_means": (
        "Người này sẽ không đăng nhập được nữa, các phiên đang mở sẽ kết thúc. Có thể mở lại "
        "sau bằng nút «Mở khoá».",
        "They will no longer be able to sign in, and their open sessions end. You can enable "
        "the account again later (“Enable”)."),
    "users.disable_yes": ("Khoá {name}", "Disable {name}"),
    "users.cancel": ("Huỷ, quay lại", "Cancel, go back"),
    "users.enable": ("Mở khoá", "Enable"),
    "users.enabled": ("Đã mở lại {name}: người này đăng nhập được bằng mật khẩu của mình.",
                      "{name} enabled: they sign in with their password again."),
    "users.not_disabled": ("{name} không bị khoá: không có gì thay đổi.",
                           "{name} was not disabled: nothing changed."),
    "users.reset_still_disabled": (
        "Đã đặt mật khẩu mới cho {name}, nhưng tài khoản vẫn đang bị khoá: bấm «Mở khoá» để "
        "người này đăng nhập được.",
        "{name} has a new password, but the account is still disabled: press “Enable” for "
        "them to sign in."),
    "users.set_role": ("Đổi vai trò", "Change role"),
    "users.role_done": ("Đã đổi vai trò của {name}; các phiên của người này đã kết thúc.",
                        "{name}'s role changed; their sessions ended."),
    "users.reset": ("Đặt lại mật khẩu", "Reset password"),
    "users.reset_done": ("Đã đặt lại mật khẩu của {name}; các trình duyệt đã đăng nhập không "
                         "còn được tin cậy.",
                         "{name}'s password was reset; the browsers they signed in on are no "
                         "longer trusted."),
    "users.unlock": ("Gỡ tạm khoá", "Unlock"),
    "users.unlocked": ("Đã gỡ tạm khoá {name}; các lần sai mật khẩu đã được xoá, các trình "
                       "duyệt đã đăng nhập không còn được tin cậy.",
                       "{name} unlocked; the wrong passwords are forgotten, the browsers it "
                       "signed in on no longer trusted."),
    "users.refused": ("Không thực hiện được: {reason}", "Not done: {reason}"),
    "users.new_password": ("Mật khẩu mới", "New password"),
    # reports
    "reports.daily": ("Báo cáo ngày", "Daily report"),
    "reports.monthly": ("Báo cáo tháng", "Monthly report"),
    "reports.show": ("Xem", "Show"),
    "reports.download": ("Tải về", "Download"),
    "reports.summary": ("Tổng hợp", "Summary"),
    "reports.by_day": ("Theo ngày", "By day"),
    "not_derived": CATALOGUE["central.not_derived"],
    "reports.as_of": ("Báo cáo ngày này chưa được lập: số liệu tính đến {time} ({zone}).",
                      "This day's report is not made yet: figures as of {time} ({zone})."),
    "reports.no_scans_day": ("Không có lượt quét nào ngày {day}.", "No scans on {day}."),
    "reports.no_scans_month": ("Không có lượt quét nào trong tháng {month}.",
                               "No scans in {month}."),
    "reports.bad_date": ("Ngày không hợp lệ: {value}", "Not a valid date: {value}"),
    "reports.more": ("… và {count} dòng khác (tổng {total}), đủ cả trong tệp tải về",
                     "… and {count} more rows ({total} in all), every one in the download"),
    "reports.most_scans_first": ("{shown} điểm có nhiều lượt quét nhất trước.",
                                 "The {shown} points with the most scans first."),
    "reports.unavailable": ("Chức năng báo cáo chưa có trên máy chủ này.",
                            "Reports are not available on this server yet."),
    # tracing
    "tracing.title": ("Truy vết tiếp xúc", "Contact tracing"),
    "tracing.document": ("Số giấy tờ (CCCD…)", "Document number (CCCD…)"),
    "tracing.foreign": ("Giấy tờ nước ngoài", "Foreign document"),
    "tracing.payload": ("hoặc nội dung mã QR", "or the QR code's content"),
    "tracing.name": ("hoặc họ tên (nhập tay)", "or a name (manual entries)"),
    "tracing.birth_year": ("và năm sinh", "and birth year"),
    "tracing.phone": ("hoặc số điện thoại (nhập tay)", "or a phone number (manual entries)"),
    "tracing.weak_phone": ("nhiều người được nhập tay với số điện thoại này (số của gia đình, "
                           "số dùng chung): mỗi người là một ứng viên",
                           "several people were entered by hand with this phone number (a "
                           "family's, a shared one): each is a candidate"),
    "tracing.weak": ("khớp theo tên và năm sinh, hoặc theo mã PC-Covid che số chỉ trùng 6 số "
                     "cuối (số giấy tờ chưa từng được quét đầy đủ): có thể nhầm người",
                     "matched by name and birth year, or by masked PC-Covid codes sharing "
                     "only the last 6 digits (the number was never scanned in full): may be "
                     "another person"),
    "tracing.conflicting": ("{count} mã khai cùng số giấy tờ nhưng mang tên khác bị bỏ ra "
                            "(có thể là người khác khai nhầm số): có thể nhầm người",
                            "{count} codes declaring the number under another name were left "
                            "out (maybe someone else who declared it): may be another person"),
    "tracing.from": ("Từ ngày", "From"),
    "tracing.to": ("Đến ngày", "To"),
    "tracing.margin": ("Biên thời gian (phút)", "Margin (minutes)"),
    "tracing.reason": ("Lý do (mã ca bệnh), bắt buộc", "Reason (case number), required"),
    "tracing.run": ("Truy vết", "Trace"),
    "tracing.reason_hint": ("Số ca bệnh hoặc số phiếu, có chữ số, ví dụ F0-1234",
                            "The case or ticket number, with a digit, e.g. F0-1234"),
    "tracing.all_named": ("Truy vết cả {people} người (mỗi người được ghi vào nhật ký)",
                          "Trace all {people} people (each is recorded in the audit log)"),
    "tracing.visits": ("Nơi đã đến", "Visits"),
    "tracing.contacts": ("Người tiếp xúc", "Contacts"),
    "tracing.export": ("Xuất", "Export"),
    # the result's columns: the CSV/XLSX export's headers (kiosk.central.trace_formats)
    "tracing.col.visit": ("Lượt", "Visit"),
    "tracing.col.checkpoint_id": ("Mã điểm", "Point id"),
    "tracing.col.checkpoint_name": ("Tên điểm", "Point name"),
    "tracing.col.entered_at": ("Giờ vào", "Entered"),
    "tracing.col.left_at": ("Giờ ra", "Left"),
    "tracing.col.minutes": ("Số phút", "Minutes"),
    "tracing.col.estimated": ("Ước tính", "Estimated"),
    "tracing.col.contacts": ("Số người tiếp xúc", "Contacts"),
    "tracing.col.rank": ("Thứ tự", "Rank"),
    "tracing.col.birth_year": ("Năm sinh", "Birth year"),
    "tracing.col.phone": ("Điện thoại", "Phone"),
    "tracing.col.overlap_minutes": ("Số phút chung", "Minutes shared"),
    "tracing.col.visits_shared": ("Số lần gặp", "Visits shared"),
    "tracing.col.first_seen": ("Từ", "First seen"),
    "tracing.col.last_seen": ("Đến", "Last seen"),
    "tracing.col.checkpoints": ("Địa điểm", "Places"),
    "tracing.col.contact_estimated": ("Có giờ ước tính", "Estimated times"),
    "tracing.col.possible": ("Có thể tiếp xúc", "Possible contact"),
    "tracing.col.time_uncertain": ("Giờ quét không chắc chắn", "Scan time uncertain"),
    "tracing.col.person": ("Mã nhận diện", "Person id"),
    "tracing.col.candidate": ("Ứng viên", "Candidate"),
    "tracing.col.via_rank": ("Qua người tiếp xúc số", "Via contact rank"),
    "tracing.col.via_name": ("Qua người", "Via"),
    "tracing.col.contact_rank": ("Thứ tự người tiếp xúc", "Contact rank"),
    "tracing.col.their_entry": ("Họ vào", "Their entry"),
    "tracing.col.their_exit": ("Họ ra", "Their exit"),
    "tracing.second_degree": ("Truy tiếp bậc 2: số người tiếp xúc đầu (0–{max})",
                              "Second degree: top contacts traced onward (0–{max})"),
    "tracing.all_exposures": ("Mọi chi tiết tiếp xúc (không chỉ của {top} người đầu)",
                              "Every exposure (not only the top {top} contacts')"),
    "tracing.second": ("Tiếp xúc bậc 2", "Second-degree contacts"),
    "tracing.second_note": (
        "Người tiếp xúc của {traced} người tiếp xúc đầu (người được truy vết không tính), mỗi "
        "người đã được ghi vào nhật ký; chưa có ở danh sách tiếp xúc trên: {people} người.",
        "The contacts of the top {traced} contacts (the person traced left out), each "
        "recorded in the audit log; not among the contacts above: {people}."),
    "tracing.exposures": ("Chi tiết tiếp xúc", "Exposures"),
    "tracing.exposures_listed": (
        "{exposures} trong {all} lần tiếp xúc: của {contacts} người tiếp xúc đầu",
        "{exposures} of {all} exposures: those of the top {contacts} contacts"),
    "tracing.col.kinds": ("Loại mã đã quét", "Codes scanned"),
    "tracing.col.candidate_visits": ("Số lượt có mặt", "Visits"),
    "tracing.candidates": ("Ứng viên (có thể là những người khác nhau)",
                           "Candidates (may be different people)"),
    "tracing.estimated.exit": ("giờ ra ước tính", "exit estimated"),
    "tracing.estimated.entry": ("giờ vào ước tính", "entry estimated"),
    "tracing.yes": ("có", "yes"),
    "tracing.possible": ("có thể tiếp xúc — giờ không chắc chắn",
                         "possible contact — time uncertain"),
    "tracing.uncertain_by": (  # any cause: a sleep, a clock ahead filed at its arrival, a
        # backlog file of a kiosk whose clock the centre last measured off
        "máy quét có thể đã ngủ trước khi gửi, đồng hồ máy chạy nhanh (lượt được ghi theo lúc "
        "đến trung tâm), hoặc đồng hồ máy lệch khi trung tâm đo lần cuối (tệp tồn đọng): giờ "
        "thật có thể sớm hơn tới {duration}, không muộn hơn",
        "the kiosk may have slept before sending, its clock ran ahead (the scan filed at its "
        "arrival), or its clock was off when the centre last measured it (a backlog file): the "
        "real time may be up to {duration} earlier, never later"),
    "tracing.uncertain_note": (
        "Giờ quét không chắc chắn: lượt quét của máy quét đời cũ được tính theo thời gian máy "
        "chạy, còn đồng hồ của máy nói nó được quét sớm hơn. Trung tâm không phân biệt được máy "
        "đã ngủ giữa lúc quét và lúc gửi (giờ thật sớm hơn) với đồng hồ máy được chỉnh lại, ví "
        "dụ sau khi tắt nguồn lâu (giờ ghi ở đây là đúng): giờ thật là giờ ghi ở đây hoặc sớm "
        "hơn, không muộn hơn. Lượt quét mà đồng hồ máy ghi muộn hơn lúc nó đến trung tâm (đồng "
        "hồ chạy nhanh) được ghi theo lúc đến: giờ thật là bất kỳ lúc nào từ khi máy được đăng "
        "ký tới lúc đó. Lượt quét trong tệp tồn đọng của máy mà trung tâm đo lần cuối thấy "
        "đồng hồ lệch được ghi theo giờ muộn hơn trong hai giờ có thể (giờ máy, hoặc giờ máy "
        "cộng độ lệch đo được): giờ thật là giờ đó hoặc sớm hơn. Lượt có mặt như vậy được giữ "
        "nếu có thể đã nằm trong khoảng truy "
        "vết, và người tiếp xúc chỉ được tìm ở những giờ nó có thể đã diễn ra trong khoảng đó. "
        "Có thể tiếp xúc: mọi lần gặp người này đều dựa vào giờ không chắc chắn — cần hỏi lại "
        "người đó; họ được xếp sau những người tiếp xúc chắc chắn.",
        "Scan time uncertain: an older kiosk's scan is filed by its running time, while the "
        "kiosk's clock says it was made earlier. The centre cannot tell a sleep between scan "
        "and send (the real time earlier) from a clock set right, e.g. after a long power-off "
        "(the time shown right): the real time is the one shown or earlier, never later. A scan "
        "its kiosk's clock dated after it reached the centre (the clock ran ahead) is filed at "
        "its arrival: the real time is any time from the kiosk's enrolment up to then. A scan "
        "in a backlog file of a kiosk whose clock the centre last measured off is filed at the "
        "later of its two possible times (the kiosk's, or that corrected by the offset "
        "measured): the real time is that or earlier. Such a "
        "visit is kept when it may have been within the period, and contacts are sought only "
        "at the times it may have had while within it. Possible contact: every meeting with "
        "this person rests on an uncertain time — ask them; they are listed after the sure "
        "contacts."),
    "tracing.estimated_note": (
        "Ước tính: thiếu lượt quét ra (hoặc vào), nên lượt có mặt được tính là {minutes} phút "
        "kể từ lượt quét vào (hoặc trước lượt quét ra). Người tiếp xúc có giờ ước tính: một "
        "lượt có mặt của chính họ trùng với người được truy vết có giờ ước tính.",
        "Estimated: the exit (or entry) scan is missing, so the stay is taken as {minutes} "
        "minutes from the entry (or before the exit). A contact with estimated times: a stay "
        "of their own that overlapped the traced person's has an estimated time."),
    "tracing.logged": ("Lần truy vết này đã được ghi vào nhật ký truy cập.",
                       "This trace was written to the audit log."),
    "tracing.unavailable": ("Chức năng truy vết chưa có trên máy chủ này.",
                            "Tracing is not available on this server yet."),
    # audit
    "audit.title": ("Nhật ký truy cập dữ liệu cá nhân", "Personal data access log"),
    "audit.when": ("Lúc", "When"),
    "audit.who": ("Ai", "Who"),
    "audit.subject": ("Đối tượng", "Subject"),
    "audit.reason": ("Lý do", "Reason"),
    "audit.count": ("Số bản ghi", "Records"),
    "audit.kind": ("Loại", "Kind"),
    "audit.channel": ("Qua", "Via"),
    "audit.kind.all": ("Tất cả", "All"),
    "audit.kind.trace": ("Truy vết", "Trace"),
    "audit.kind.audit-log": ("Xem nhật ký", "Audit log viewed"),
    "audit.kind.revoked-import": ("Nhập tệp của trạm đã thu hồi", "Revoked kiosk's file imported"),
    "audit.kind.signing-key": ("Đổi khoá ký của trạm", "Kiosk signing key changed"),
    "audit.kind.retired-key-import": ("Nhập tệp ký bằng khoá cũ của trạm",
                                      "File signed with a retired kiosk key imported"),
    "audit.kind.kiosk-token": ("Cấp mã truy cập mới cho trạm", "Kiosk token reissued"),
    "audit.kind.kiosk-set-aside": ("Để riêng bản ghi của máy sao chép",
                                   "Copied token's entries set aside"),
    "audit.kind.kiosk-bring-back": ("Đưa lại bản ghi đã để riêng",
                                    "Entries set aside brought back"),
    "audit.kind.retention": ("Đổi thời hạn lưu dữ liệu", "Retention period changed"),
    "audit.kind.purge": ("Xoá dữ liệu hết hạn lưu", "Retention purge run"),
    "audit.kind.purge-done": ("Kết quả xoá dữ liệu hết hạn", "Retention purge removed"),
    "audit.kind.user-add": ("Thêm tài khoản", "Account added"),
    "audit.kind.user-disable": ("Khoá tài khoản", "Account disabled"),
    "audit.kind.user-enable": ("Mở lại tài khoản", "Account enabled"),
    "subject.account": ("tài khoản {name} ({role})", "account {name} ({role})"),
    "subject.account_in": ("tài khoản {name} ({role}, huyện {district})",
                           "account {name} ({role}, district {district})"),
    "subject.kiosk": ("máy {kiosk} ({name}) tại điểm {point}", "kiosk {kiosk} ({name}) at {point}"),
    "subject.point_created": (" (điểm mới được tạo)", " (checkpoint created)"),
    "subject.token_refused": (": từ nay từ chối mã truy cập", ": its token refused from now on"),
    "subject.token_new": ("máy {kiosk}{restored}: mã truy cập mới; mã cũ bị từ chối",
                          "kiosk {kiosk}{restored}: new token; old token refused"),
    "subject.token_code": ("máy {kiosk}{restored}: mã đăng ký dùng một lần, hạn đến {until}; "
                           "mã cũ bị từ chối",
                           "kiosk {kiosk}{restored}: one-time enrolment code until {until}; "
                           "old token refused"),
    "subject.token_restored": (" (bị thu hồi lúc {at}, nay khôi phục)",
                               " (revoked {at}, restored)"),
    "subject.set_aside": ("máy {kiosk}, nguồn (boot) {boot}: để riêng {entries} lượt",
                          "kiosk {kiosk}, source (boot) {boot}: {entries} entries set aside"),
    "subject.set_aside_kept": (", giữ lại {kept} lượt (một nguồn khác cũng đã gửi)",
                               ", {kept} kept (sent by another boot too)"),
    "subject.signing_key": ("máy {kiosk}: khoá ký tệp tồn đọng {key}",
                            "kiosk {kiosk}: backlog signing key {key}"),
    "subject.keys_forgotten": (", đã bị lộ: các khoá cũ bị quên",
                               ", compromised: old keys forgotten"),
    "subject.setting_changed": ("{setting} {old} → {new}", "{setting} {old} → {new}"),
    "subject.setting.retention_days": ("số ngày giữ lượt quét", "days entries are kept"),
    "subject.setting.personal_retention_days": ("số ngày giữ thông tin cá nhân",
                                                "days identities are kept"),
    "subject.setting.traces_per_hour": ("số lần tra cứu mỗi giờ của một người dùng",
                                        "traces per hour per user"),
    "subject.brought_back": ("máy {kiosk}, nguồn (boot) {boot}: đưa trở lại {entries} lượt",
                             "kiosk {kiosk}, source (boot) {boot}: {entries} entries brought back"),
    "subject.people_count": ("{whom}: {people} người, không hiện ai",
                             "{whom}: {people} people, none shown"),
    "subject.document": ("giấy tờ số {document}", "document {document}"),
    "subject.foreign_document": ("giấy tờ nước ngoài số {document}",
                                 "foreign document {document}"),
    "subject.phone": ("điện thoại {phone}", "phone {phone}"),
    "subject.name_born": ("tên {name}, sinh năm {year}", "name {name}, born {year}"),
    "subject.match_key": ("khoá đối chiếu {key}", "match key {key}"),
    "subject.scanned": ("mã quét loại {kind}", "scanned code ({kind})"),
    "subject.point_added": ("{point}: thêm mới — {changes}", "{point}: added — {changes}"),
    "subject.point_changed": ("{point}: {changes}", "{point}: {changes}"),
    "subject.field.province": ("tỉnh", "province"),
    "subject.field.district": ("huyện", "district"),
    "subject.field.commune": ("xã", "commune"),
    "subject.field.kind": ("loại", "kind"),
    "subject.field.set_up_on": ("triển khai từ", "set up on"),
    "subject.field.closed_on": ("đóng từ", "closed on"),
    "subject.restored": (
        "cơ sở dữ liệu có các lần gửi đến {newest}, trung tâm đã nhận đến {marked}: kiosk sync "
        "resend --since {since}",
        "database with uploads until {newest}, the centre had received them until {marked}: "
        "kiosk sync resend --since {since}"),
    # a centre restored from a backup (kiosk.central.received_mark), to administrators
    "restored.title": ("Cơ sở dữ liệu được khôi phục từ một bản sao cũ hơn?",
                       "Was the database restored from an older copy?"),
    "restored.body": (
        "Cơ sở dữ liệu này chỉ có các lần gửi nhận đến {newest}, nhưng trung tâm đã nhận các lần "
        "gửi đến {marked} (ghi trong {path}). Các lượt nhận trong khoảng đó không còn ở đây, mà "
        "các trạm đã coi là gửi xong và sẽ không tự gửi lại. Trên mỗi trạm, chạy hai lệnh sau.",
        "This database holds uploads received until {newest}, but this centre had received "
        "uploads until {marked} (noted in {path}). The entries received in between are not "
        "here, and the kiosks count them delivered and will not send them again by themselves. "
        "On every kiosk, run these two commands."),
    "restored.then": (
        "Rồi bấm nút dưới đây khi mọi trạm đã gửi lại (việc xác nhận được ghi vào nhật ký truy "
        "cập). Hướng dẫn: docs/central.md, \"Restoring the centre from a backup\".",
        "Then press the button below once every kiosk has sent again (recorded in the audit "
        "log). Guide: docs/central.md, \"Restoring the centre from a backup\"."),
    "restored.waiting": (
        "Các trạm có lần gửi không còn ở đây và chưa gửi lại: {kiosks}. Cảnh báo tự tắt khi "
        "mọi trạm này đã gửi lại (ghi vào nhật ký truy cập).",
        "The kiosks whose uploads are not here and have not sent them again: {kiosks}. The "
        "warning clears itself once each of them has (recorded in the audit log)."),
    "restored.acknowledge": ("Mọi trạm đã gửi lại", "Every kiosk has sent again"),
    "device.state.opening": ("đang mở", "opening"),
    "device.state.running": ("đang chạy", "running"),
    "device.state.ended": ("đã kết thúc", "ended"),
    "device.state.stopped": ("đã dừng", "stopped"),
    "device.state.error": ("lỗi", "error"),
    "audit.kind.user-role": ("Đổi vai trò hoặc huyện của tài khoản",
                             "Account role or district changed"),
    "audit.kind.user-password": ("Đặt lại mật khẩu tài khoản", "Account password reset"),
    "audit.kind.user-unlock": ("Gỡ tạm khoá tài khoản", "Account unlocked"),
    "audit.kind.sign-in": ("Đăng nhập", "Signed in"),
    "audit.kind.kiosk-enrol": ("Đăng ký trạm", "Kiosk enrolled"),
    "audit.kind.kiosk-revoke": ("Thu hồi trạm", "Kiosk revoked"),
    "audit.kind.kiosk-key": ("Trạm đăng ký khoá ký tệp tồn đọng",
                             "Kiosk registered its backlog signing key"),
    "audit.kind.checkpoint": ("Thay đổi điểm quét trong danh mục", "Registry point changed"),
    "audit.kind.trace-refused": ("Truy vết bị từ chối (quá giới hạn mỗi giờ)",
                                 "Trace refused (hourly limit)"),
    "audit.kind.trace-count": ("Trả lời số người trùng tên (không cho xem ai)",
                               "A common name's count answered (no one shown)"),
    "audit.kind.trace-limit": ("Đổi giới hạn truy vết mỗi giờ", "Hourly trace limit changed"),
    "audit.kind.restored-acknowledged": ("Xác nhận đã xử lý việc khôi phục cơ sở dữ liệu",
                                         "Database restore acknowledged"),
    "audit.where": ("Từ địa chỉ", "From address"),
    "audit.note": ("Mỗi lần truy vết, mỗi lần xem trang có họ tên hoặc số giấy tờ, mỗi thay "
                   "đổi tài khoản và mỗi lần đăng nhập đều được ghi lại, kể cả lần xem trang "
                   "này; không ai sửa hay xoá được.",
                   "Every trace, every view of a page with names or document numbers, every "
                   "change to an account and every sign-in is recorded, this view included; "
                   "nobody can change or delete a record."),
    "audit.none": ("Chưa có.", "Nothing yet."),
    "audit.second_degree_column": ("Tiếp xúc bậc 2", "Second degree"),
    "audit.second_degree": ("{people} người tiếp xúc bậc 2 ngoài danh sách tiếp xúc (truy tiếp "
                            "{top} người tiếp xúc đầu)",
                            "{people} second-degree contacts beyond the contacts (the top {top} "
                            "traced onward)"),
}


_REPORT_COLUMNS: dict[str, tuple[str, str]] = {
    # a report's keys (kiosk.central.report_formats.LABELS) in both languages
    "checkpoint_id": ("Mã điểm", "Checkpoint"), "name": ("Tên điểm", "Name"),
    "district": ("Huyện", "District"), "kind": ("Loại địa điểm", "Kind of place"),
    "set_up": ("Đã triển khai", "Set up"), "points_set_up": ("Điểm triển khai", "Points set up"),
    "points_scanned": ("Điểm có quét", "Points scanning"),
    "points_active_7d": ("Điểm hoạt động 7 ngày", "Active in 7 days"),
    "adoption_ratio": ("Tỷ lệ hoạt động", "Adoption ratio"),
    "scanning_ratio": ("Tỷ lệ điểm có quét trong tháng", "Share of points scanning in the month"),
    "scans": ("Lượt quét", "Scans"), "ins": ("Vào", "In"), "outs": ("Ra", "Out"),
    "duplicates": CATALOGUE["cli.stats.duplicates"],  # the kiosk's own word on its screen
    "nobody": CATALOGUE["cli.stats.not_id"],  # the kiosk's own word (kiosk stats)
    "manual": ("Nhập tay", "Manual"), "manual_share": ("Tỷ lệ nhập tay", "Manual share"),
    "refused": ("Quét lỗi", "Refused"),
    "refused_share": ("Tỷ lệ quét lỗi", "Refused share"), "people": ("Số người", "People"),
    "late_entries": ("Bản ghi đến muộn", "Late entries"), "hour": ("Giờ", "Hour"),
    "problem": ("Vấn đề", "Problem"), "kiosk_id": ("Mã máy", "Kiosk"),
    "detail": ("Chi tiết", "Detail"), "last_seen_at": ("Liên lạc lần cuối", "Last heard from"),
    "day": ("Ngày", "Day"), "entries": ("Số bản ghi", "Entries"),
    "received_on": ("Báo cáo ngày liệt kê", "Listed in the daily report of"),
    "made_at": ("Số liệu tính đến", "Figures as of"),
    "replaces": ("Thay cho báo cáo lập lúc", "Replaces the report made at"),
    "days_scanned": ("Số ngày có quét", "Days scanning"), "metric": ("Chỉ tiêu", "Measure"),
    "value": ("Giá trị", "Value"), "pending": _DASHBOARD["col.pending"],
    "oldest_pending": _DASHBOARD["col.oldest"],
}
_TABLE_TITLES = {  # report_formats' Vietnamese section titles in English
    "Tổng hợp": "Summary", "Theo huyện": "By district", "Theo loại địa điểm": "By kind of place",
    "Theo giờ": "By hour", "Theo điểm": "By point", "Nơi không quét": "Places not scanning",
    "Nơi quét sai": "Places scanning wrongly", "Máy chưa gửi đủ": "Kiosks not heard from",
    "Bản ghi đến muộn": "Late entries", "Theo ngày": "By day",
    "Máy chờ gửi không rõ bao lâu": "Kiosks with a backlog of unknown age",
}
CATALOGUE.update({f"web.{key}": words for key, words in _DASHBOARD.items()})
CATALOGUE.update({f"web.column.{key}": words for key, words in _REPORT_COLUMNS.items()})
CATALOGUE.update({f"web.table.{vi}": (vi, en) for vi, en in _TABLE_TITLES.items()})


@dataclass(frozen=True)
class Words:
    """A sentence not worded yet: a catalogue code and its parameters, which may be Words
    too. What the core hands to a front end, which words it in its reader's language."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def __call__(self, language: str) -> str:
        return text(self.code, language, **self.params)

    def worded(self, language: str | None) -> str:
        """In ``language``; in both (:func:`both`) for a reader whose language is not known:
        a log line, a command, the centre's health report."""
        return self(language) if language else both(self.code, **self.params)

    def saved(self) -> str:
        """As kept in a text column, for another process to word (:func:`saved_text`)."""
        return json.dumps(self.plain(), ensure_ascii=False)

    def plain(self) -> dict[str, object]:
        """``{"code": …, "params": …}``, nested Words alike, any other value that JSON does
        not hold (a path, a library's exception) as its text: for JSON."""
        return {"code": self.code, "params": {k: _plain(v) for k, v in self.params.items()}}

    @classmethod
    def _restored(cls, obj: dict[str, object]) -> Words:
        params = obj["params"]
        if not isinstance(params, dict):
            raise TypeError("params")
        return cls(str(obj["code"]), {
            k: cls._restored(v) if isinstance(v, dict) and v.keys() == {"code", "params"}
            else v for k, v in params.items()})


class WordedError(Exception):
    """A refusal or failure a person reads (a technician, centre staff, an officer): a
    catalogue code and its parameters (:attr:`words`), worded where it is shown, in the
    reader's language (:meth:`text`); ``str()`` gives both languages, for a log line or a
    command whose reader's language is not known. A project exception a person may read
    derives from it (``class ConfigError(WordedError, ValueError)``); ``raise``-ing one with
    an English sentence fails tests/test_messages.py."""

    def __init__(self, code: str, /, **params: object) -> None:
        self.words = Words(code, params)
        super().__init__(both(code, **params))

    def text(self, language: str) -> str:
        return self.words(language)

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled as its Words and attributes, not as ``cls(str(self))`` (a failure in a
        worker process, an export's or a centre's): a subclass taking other arguments
        would not unpickle, and this one would word its sentence again around itself."""
        return _unpickled, (type(self), self.words, self.__dict__)


def _unpickled(cls: type[WordedError], words: Words, state: dict[str, object]) -> WordedError:
    error = cls.__new__(cls)
    WordedError.__init__(error, words.code, **words.params)
    error.__dict__.update(state)
    return error


def _plain(value: object) -> object:
    if isinstance(value, Words):
        return value.plain()
    if isinstance(value, WordedError):
        return value.words.plain()
    if isinstance(value, Number):  # read back as a plain number: digits not grouped
        return value.value
    if isinstance(value, Tallies):
        return ", ".join(f"{name} ({count})" for name, count in value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def saved_words(saved: str) -> Words | None:
    """What :meth:`Words.saved` kept, not worded yet; None for text saved as such (older
    versions, or a reason the centre sent without a code this kiosk knows)."""
    try:
        return Words._restored(json.loads(saved))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def answered_words(answer: Mapping[str, object]) -> Words | None:
    """An answer's ``code`` and ``params`` (nested ones alike) as Words, when this program
    knows every code and the parameters fill every blank (an error body of the protocol,
    :func:`kiosk.sync.protocol.refusal_body`); None otherwise: the answer's own text is
    shown then."""
    code, params = answer.get("code"), answer.get("params")
    if not isinstance(code, str) or not isinstance(params, dict):
        return None
    try:
        words = Words._restored({"code": code, "params": params})
        return words if _known(words) else None
    except (TypeError, KeyError, RecursionError):
        return None


ANSWER_NESTING = 8
"""How deep an answer's Words may nest (a refusal within a refusal…): a deeper one, worded
later at a deeper stack, would raise RecursionError out of the sync cycle."""


def _known(words: Words, depth: int = 0) -> bool:
    pair = CATALOGUE.get(words.code)
    return depth < ANSWER_NESTING and pair is not None and _blanks(pair[1]) <= \
        words.params.keys() and all(_known(value, depth + 1) for value in
                                    words.params.values() if isinstance(value, Words))


def saved_text(saved: str, language: str) -> str:
    """Word what :meth:`Words.saved` kept; text saved as such stays as is."""
    words = saved_words(saved)
    return saved if words is None else words(language)


def text(code: str, language: str = "vi", **params: object) -> str:
    """The sentence for ``code`` in ``language``; an unknown code is shown as itself.

    Parameters that are :class:`Words` or a :class:`WordedError` are worded in the same
    language. A parameter left
    empty drops its parentheses and a trailing colon (``"Refused ()"`` → ``"Refused"``).
    """
    pair = CATALOGUE.get(code)
    if pair is None:
        return code
    template = pair[LANGUAGES.index(language)] if language in LANGUAGES else pair[1]
    if "{" not in template:  # nothing to fill in (each scan's "accepted")
        return template
    worded = {k: _worded(v, language) for k, v in params.items()}
    try:  # a parameter missing (saved by an older version) is "…", the others still said
        return template.format_map(_Blanks(worded)).replace(" ()", "").rstrip(": ")
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return template  # a parameter unfit (a centre's answer): never raised


def _worded(value: object, language: str) -> object:
    """A parameter as ``language`` says it: a sentence, a failure, a figure or a list of
    counts in the reader's own words and digit groups; any other value as it is."""
    if isinstance(value, Words):
        return value(language)
    if isinstance(value, WordedError):
        return value.text(language)
    if isinstance(value, Number):
        return number(value.value, language, value.digits)
    if isinstance(value, Tallies):
        return ", ".join(f"{name} ({number(count, language)})" for name, count in value)
    return value


@dataclass(frozen=True)
class Number:
    """A figure in a sentence, grouped as its reader writes it (:func:`number`): the
    Vietnamese half of :func:`both` says 1.234.567 and 80,5, the English 1,234,567 and 80.5 —
    digits grouped once, before the language is known, read wrong in one of them."""

    value: float
    digits: int = 0


class Tallies(tuple[tuple[str, int], ...]):
    """Names each with a count (``KIOSK-A (1.234), KIOSK-B (5)``), grouped as the reader
    writes numbers: the kiosks holding entries a command cannot send."""


class _Blanks(dict):
    """Parameters whose missing ones read "…": a 401 alert saved before it named the kiosk
    still says why the token was refused."""

    def __missing__(self, key: str) -> str:
        return "…"


JSON_TYPES = frozenset({"object", "array", "string", "number", "boolean", "null"})


def refusal(code: str, params: Mapping[str, object]) -> Words | None:
    """The centre's refusal of an entry (a protocol code and its parameters) as Words; None
    when the catalogue does not know the code or the parameters leave a blank (a newer
    centre): the centre's own reason is shown then. Used by the centre for its English
    ``reason`` too, so the two cannot drift."""
    pair = CATALOGUE.get(f"refusal.{code}")
    if pair is None or not _blanks(pair[1]) <= params.keys():
        return None
    worded = dict(params)
    if isinstance(worded.get("got"), str) and worded["got"] in JSON_TYPES:
        worded["got"] = Words(f"json.{worded['got']}")
    allowed = worded.get("allowed")
    if isinstance(allowed, list) and allowed:
        shown = [json.dumps(v, ensure_ascii=False) for v in allowed]
        worded["allowed"] = shown[0] if len(shown) == 1 else Words(
            "json.or", {"first": ", ".join(shown[:-1]), "second": shown[-1]})
    return Words(f"refusal.{code}", worded)


def _blanks(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


_OS_ERRORS = {
    errno.ELOOP: "os.loop", errno.ENOTDIR: "os.not_a_folder", errno.EIO: "os.io",
    errno.ESTALE: "os.stale", errno.EACCES: "os.denied", errno.ENOENT: "os.missing",
    errno.ENOSPC: "os.disk_full", errno.EROFS: "os.read_only", errno.EEXIST: "os.exists",
    errno.EISDIR: "os.is_a_folder", errno.EBUSY: "os.busy", errno.EPERM: "os.not_permitted",
}


def shown_name(name: str | os.PathLike[str]) -> str:
    """A file name fit for a terminal, a file or the database: bytes that are not UTF-8
    (Python's surrogates for them) as ``\\xNN`` (``sao lưu`` written as Latin-1:
    ``sao l\\xfau``)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def os_words(exc: OSError) -> Words:
    """Why the operating system refused a file, in the reader's language: the system's own
    words (``strerror``) are English, which a Vietnamese sentence must not carry. The
    common errors are named; any other by its errno's symbol (``EXDEV``). The system's
    words belong in the log."""
    if exc.errno in _OS_ERRORS:
        return Words(_OS_ERRORS[exc.errno])
    return Words("os.other", {"errno": errno.errorcode.get(exc.errno, str(exc.errno))
                              if exc.errno else "?"})


def hex_words(digits: str) -> Words:
    """Why ``bytes.fromhex`` refused ``digits``, in the reader's language: its own words are
    English ("non-hexadecimal number found in fromhex() arg at position 3"). Read as it
    reads them: pairs of hex digits, whitespace allowed between pairs only."""
    position = 0
    while position < len(digits):
        if digits[position] in string.whitespace:
            position += 1
            continue
        pair = digits[position:position + 2]
        for offset, char in enumerate(pair):
            if char not in string.hexdigits:
                return Words("hex.bad_character", {"char": repr(char),
                                                   "position": position + offset + 1})
        if len(pair) < 2:
            break
        position += 2
    return Words("hex.lone_digit", {"position": position + 1})


_SQLITE_WORDS = {
    sqlite3.SQLITE_CORRUPT: "sqlite.damaged", sqlite3.SQLITE_NOTADB: "sqlite.not_a_database",
    sqlite3.SQLITE_BUSY: "sqlite.busy", sqlite3.SQLITE_LOCKED: "sqlite.busy",
    sqlite3.SQLITE_FULL: "os.disk_full", sqlite3.SQLITE_IOERR: "os.io",
    sqlite3.SQLITE_READONLY: "sqlite.read_only", sqlite3.SQLITE_PERM: "os.not_permitted",
    sqlite3.SQLITE_CANTOPEN: "sqlite.cannot_open", sqlite3.SQLITE_ERROR: "sqlite.statement",
    sqlite3.SQLITE_CONSTRAINT: "sqlite.constraint",
}
"""SQLite's primary result codes (``sqlite_errorcode & 0xFF``) → what they say of the file."""

_POSTGRES_WORDS = {
    "53100": "postgres.disk_full", "53200": "postgres.out_of_memory",
    "53300": "postgres.too_many_connections", "57P03": "postgres.cannot_connect_now",
    "57P01": "postgres.shut_down", "57P02": "postgres.shut_down", "57014": "postgres.canceled",
    "55P03": "postgres.lock_timeout", "40001": "postgres.serialization",
    "40P01": "postgres.deadlock", "58030": "os.io", "42501": "postgres.denied",
    "28000": "postgres.refused_login", "28P01": "postgres.refused_login",
    "3D000": "postgres.no_database", "54000": "postgres.too_large",
    "54001": "postgres.too_complex", "54011": "postgres.too_many_columns",
    "54023": "postgres.too_many_arguments",
}
"""PostgreSQL's SQLSTATEs (whole) → what they say of the server; by class below."""

_POSTGRES_CLASSES = {"08": "postgres.connection", "53": "postgres.resources",
                     "54": "postgres.program_limit", "57": "postgres.operator",
                     "40": "postgres.rolled_back", "XX": "postgres.internal",
                     "42": "postgres.statement", "23": "postgres.constraint",
                     "P0": "db.trigger"}
"""PostgreSQL's SQLSTATE classes (the first two characters) → what they say."""


def failure_words(error: BaseException, path: object = None) -> Words:
    """Why the system, SQLite or PostgreSQL failed a store, in the reader's language: their
    own words are English ("file is not a database", "[Errno 40] Too many levels of
    symbolic links", "canceling statement due to lock timeout"), which a Vietnamese
    sentence must not carry; they stay the error's cause, for the log. SQLite's result code
    tells which, or PostgreSQL's SQLSTATE (whole, else by class), not their message; for a
    file SQLite cannot open, the system is asked why (``path``: a folder, denied, missing,
    a loop)."""
    if isinstance(error, WordedError):
        return error.words
    if isinstance(error, OSError):
        return os_words(error)
    if type(error).__module__.split(".")[0] == "psycopg":
        sqlstate = getattr(error, "sqlstate", None)
        if not sqlstate and type(error).__name__ not in ("OperationalError", "Error"):
            return _driver_words(error)  # psycopg refused the call itself: no connection lost
        primary = getattr(getattr(error, "diag", None), "message_primary", None)
        if sqlstate == "42501" and primary:  # which object: "must be owner of table audit_log"
            return Words("postgres.denied_on", {"detail": primary})
        return _raised_words(primary if sqlstate == "P0001" else None) or postgres_words(
            sqlstate)
    if type(error).__module__ == "sqlite3" and not hasattr(error, "sqlite_errorcode"):
        return _driver_words(error)  # Python's sqlite3 refused the call, not SQLite
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_IOERR_SHMSIZE:
        return Words("os.disk_full")  # the log's index (-shm) not grown: no room for it
    if getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_CONSTRAINT_TRIGGER:
        return _raised_words(str(error)) or Words("sqlite.constraint", {
            "name": error.sqlite_errorname})
    if code == sqlite3.SQLITE_CANTOPEN and isinstance(path, str | os.PathLike):
        if os.path.isdir(path):
            return Words("os.is_a_folder")
        try:  # not blocking on a pipe
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        except OSError as exc:
            return os_words(exc)
    if code in (sqlite3.SQLITE_ERROR, sqlite3.SQLITE_CONSTRAINT):
        return Words(_SQLITE_WORDS[code], {"name": error.sqlite_errorname})
    if code in _SQLITE_WORDS:
        return Words(_SQLITE_WORDS[code])
    return Words("sqlite.other", {"name": getattr(error, "sqlite_errorname", None)
                                  or type(error).__name__})


_APPEND_ONLY = re.compile(r"(\w+) is append-only")
"""What the schema's triggers raise, on both engines, for a change to an append-only table
(kiosk/central/schema.py): its own words, so the table's name is read from them."""


def _raised_words(message: str | None) -> Words | None:
    """The words for a trigger's own RAISE: the schema's are known, read by their pattern."""
    found = _APPEND_ONLY.fullmatch((message or "").strip())
    return Words("db.append_only", {"table": found[1]}) if found else None


def _driver_words(error: BaseException) -> Words:
    """The driver refused the call before the database answered (a closed cursor, a wrong
    number of values bound): a fault of the program, named by the exception's class."""
    return Words("db.driver", {"name": type(error).__name__})


def postgres_words(sqlstate: str | None) -> Words:
    """PostgreSQL's failure by its SQLSTATE: none (the client lost or never had the
    connection: psycopg's own OperationalError) is the connection."""
    if not sqlstate:
        return Words("postgres.connection")
    if sqlstate in _POSTGRES_WORDS:
        return Words(_POSTGRES_WORDS[sqlstate])
    if sqlstate[:2] in _POSTGRES_CLASSES:
        return Words(_POSTGRES_CLASSES[sqlstate[:2]], {"sqlstate": sqlstate})
    return Words("postgres.other", {"sqlstate": sqlstate})


def number(value: float, language: str, digits: int = 0) -> str:
    """``value`` grouped as ``language`` writes it, for a screen or a page read by people
    (1.234.567 / 1,234,567; 80,5 / 80.5): a Vietnamese reader takes "1,234" for one and a
    bit, and a long backlog without groups for any number of digits."""
    text = f"{value:,.{digits}f}"
    if language == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def both(code: str, **params: object) -> str:
    """``"Vietnamese / English"``: for readers whose language is not known."""
    return f"{text(code, 'vi', **params)} / {text(code, 'en', **params)}"


def worded(value: Words | str, language: str | None) -> str:
    """``value`` for a reader in ``language`` (None: not known, both): a sentence of the
    catalogue, or a text that is nobody's words to translate (a device's own name)."""
    return value.worded(language) if isinstance(value, Words) else value


def table_header(code: str, layout: str, languages: Sequence[str] = LANGUAGES) -> list[str]:
    """A table's header, one line per language (each of ``languages``), laid out by
    ``layout`` (a format string placing the ``|``-separated column names of ``code``)."""
    return [layout.format(*text(code, language).split("|")).rstrip()
            for language in languages]


def detail_words(problem: str, *, field: str = "", value: str = "") -> Words | str:
    """Why a payload was refused: ``problem`` about ``field`` holding ``value``, not worded
    yet; an unknown ``problem`` stays as it is. The value is shown :func:`visible`: "must
    have 12 digits" next to ``'\\x02001099012347'`` explains itself."""
    if f"detail.{problem}" not in CATALOGUE:
        return problem
    name = Words(f"field.{field}") if f"field.{field}" in CATALOGUE else field
    return Words(f"detail.{problem}", {"field": name, "value": visible(value)})


def visible(value: str) -> str:
    """``value`` with what a reader cannot see written out: a control character or other
    invisible one (``str.isprintable``: STX, a tab, a zero-width space, a no-break space) as
    its escape (``\\x02``, ``\\t`` as ``\\x09``, ``\\u200b``), and a backslash doubled,
    so that an escape shown is never the code's own text. Letters of any script are kept."""
    if value.isprintable() and "\\" not in value:
        return value
    return "".join(_visible_char(char) for char in value)


def _visible_char(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def kind_name(kind: str, language: str = "vi") -> str:
    return text(f"kind.{kind}" if f"kind.{kind}" in CATALOGUE else "kind.other", language)


def certificate_verdict(status: str, language: str = "vi") -> str:
    code = f"certificate.{status}"
    return text(code, language) if code in CATALOGUE else status.upper()


_FACT_SHOWN = ("valid", "expired", "not_yet_valid", "trust_list_stale", "no_trust_list")


def certificate_line(status: str, kind: str | None, facts: dict[str, object],
                     language: str = "vi") -> str:
    """"CHỨNG NHẬN HỢP LỆ — 2/2 mũi": the verdict, with the key fact unless the certificate is
    known to be forged or unfit (a forger's "2/2" is not repeated on screen)."""
    verdict = certificate_verdict(status, language)
    fact = (certificate_key_fact(kind, facts, language) if status in _FACT_SHOWN else "")
    return f"{verdict} — {fact}" if fact else verdict


def certificate_answer(verdict: Verdict, language: str = "vi", *,
                       recorded: bool) -> tuple[str, str]:
    """(What the officer must know first, the verdict under it or ""). A recorded certificate
    that proves nothing (forged, unknown signer…) is headed by what to do — "CHỨNG NHẬN KHÔNG
    HỢP LỆ — KIỂM TRA GIẤY TỜ" — with its verdict under it, so that the entry being recorded
    never reads as the person being cleared; any other by its verdict line."""
    if recorded and verdict.proves_nothing:
        return text("certificate_check", language), certificate_verdict(verdict.status,
                                                                        language)
    return certificate_line(verdict.status, verdict.kind, verdict.facts, language), ""


def certificate_key_fact(kind: str | None, facts: dict[str, object], language: str = "vi"
                         ) -> str:
    """The one fact that goes beside the verdict: "2/2 mũi", "xét nghiệm âm tính"…"""
    if kind == "vaccination" and facts.get("dose") is not None:
        return text("certificate.fact.doses", language, dose=facts["dose"],
                    doses=facts.get("doses", "?"))
    if kind == "test" and facts.get("result") in ("not_detected", "detected"):
        return text(f"certificate.fact.{facts['result']}", language)
    if kind == "recovery" and facts.get("valid_until"):
        return text("certificate.fact.recovered", language, until=facts["valid_until"])
    return kind_name("hc1", language) if kind else ""


def certificate_details(status: str, kind: str | None, facts: dict[str, object],
                        language: str = "vi") -> list[str]:
    """The birth date to compare with an ID card, and the certificate's own date unless it is
    known to be forged or unfit."""
    lines = []
    if facts.get("birth_date"):
        lines.append(text("certificate.fact.born", language, date=facts["birth_date"]))
    if status not in _FACT_SHOWN:
        return lines
    if kind == "vaccination" and facts.get("date"):
        lines.append(text("certificate.fact.vaccinated_on", language, date=facts["date"]))
    if kind == "test" and facts.get("sampled_at"):
        lines.append(text("certificate.fact.sampled", language, when=facts["sampled_at"]))
    return lines
