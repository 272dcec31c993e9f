"""The dashboard's words in Vietnamese (the default) and English, and numbers as each
language writes them (1.234,5 / 1,234.5)."""

from __future__ import annotations

from typing import Any

DEFAULT = "vi"
LANGUAGES = ("vi", "en")

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("Trung tâm điểm quét", "Checkpoint centre"),
    "nav.today": ("Hôm nay", "Today"),
    "nav.reports": ("Báo cáo", "Reports"),
    "nav.checkpoints": ("Điểm quét", "Checkpoints"),
    "nav.kiosks": ("Máy kiosk", "Kiosks"),
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
    "login.locked": ("Tài khoản tạm khoá sau nhiều lần sai mật khẩu; thử lại sau {minutes} "
                     "phút hoặc nhờ quản trị đặt lại mật khẩu.",
                     "Account locked after repeated wrong passwords; try again in {minutes} "
                     "minutes or ask an administrator to reset the password."),
    "forbidden.title": ("Không có quyền truy cập", "Access denied"),
    "forbidden.role": ("Vai trò của bạn không được xem trang này.",
                       "Your role may not see this page."),
    "forbidden.district": ("Trang này thuộc huyện khác; bạn chỉ xem được huyện của mình.",
                           "This belongs to another district; you may only see your own."),
    "forbidden.csrf": ("Biểu mẫu thiếu mã bảo vệ hoặc mã đã hết hạn; tải lại trang và gửi lại.",
                       "The form's protection token is missing or stale; reload the page and "
                       "submit again."),
    "notfound": ("Không tìm thấy.", "Not found."),
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
    "problem.clock_off": ("Đồng hồ máy lệch", "Kiosk clock off"),
    "problem.old_backlog": ("Tồn đọng quá 24 giờ", "Backlog older than 24 h"),
    "problem.revoked_still_trying": ("Máy đã thu hồi vẫn gửi", "Revoked kiosk still trying"),
    "state.active": ("Hoạt động", "Active"),
    "state.closed": ("Đã đóng", "Closed"),
    "state.revoked": ("Đã thu hồi", "Revoked"),
    "state.disabled": ("Đã khoá", "Disabled"),
    "state.locked": ("Tạm khoá", "Locked"),
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
    "kiosks.revoked": ("Đã thu hồi máy {id}; mã truy cập của nó bị từ chối từ nay.",
                       "Kiosk {id} revoked; its token is refused from now on."),
    "kiosks.refused": ("Không đăng ký được: {reason}", "Cannot enrol: {reason}"),
    "kiosks.problems_only": ("Chỉ máy có vấn đề", "Only kiosks with problems"),
    "kiosks.count": ("{shown} trên {total} máy", "{shown} of {total} kiosks"),
    "kiosks.none": ("Chưa có máy nào.", "No kiosks enrolled."),
    # users
    "users.add": ("Thêm người dùng", "Add a user"),
    "users.added": ("Đã thêm {name}.", "{name} added."),
    "users.disable": ("Khoá", "Disable"),
    "users.disabled": ("Đã khoá {name}; các phiên của người này đã kết thúc.",
                       "{name} disabled; their sessions ended."),
    "users.reset": ("Đặt lại mật khẩu", "Reset password"),
    "users.reset_done": ("Đã đặt lại mật khẩu của {name}.", "{name}'s password was reset."),
    "users.refused": ("Không thực hiện được: {reason}", "Not done: {reason}"),
    "users.new_password": ("Mật khẩu mới", "New password"),
    # reports
    "reports.daily": ("Báo cáo ngày", "Daily report"),
    "reports.monthly": ("Báo cáo tháng", "Monthly report"),
    "reports.show": ("Xem", "Show"),
    "reports.download": ("Tải về", "Download"),
    "reports.summary": ("Tổng hợp", "Summary"),
    "reports.by_day": ("Theo ngày", "By day"),
    "reports.bad_date": ("Ngày không hợp lệ: {value}", "Not a valid date: {value}"),
    "reports.unavailable": ("Chức năng báo cáo chưa có trên máy chủ này.",
                            "Reports are not available on this server yet."),
    # tracing
    "tracing.title": ("Truy vết tiếp xúc", "Contact tracing"),
    "tracing.document": ("Số giấy tờ (CCCD…)", "Document number (CCCD…)"),
    "tracing.payload": ("hoặc nội dung mã QR", "or the QR code's content"),
    "tracing.name": ("hoặc họ tên (nhập tay)", "or a name (manual entries)"),
    "tracing.birth_year": ("và năm sinh", "and birth year"),
    "tracing.weak": ("khớp theo tên và năm sinh: có thể nhầm người",
                     "matched by name and birth year: may be another person"),
    "tracing.from": ("Từ ngày", "From"),
    "tracing.to": ("Đến ngày", "To"),
    "tracing.margin": ("Biên thời gian (phút)", "Margin (minutes)"),
    "tracing.reason": ("Lý do (mã ca bệnh), bắt buộc", "Reason (case number), required"),
    "tracing.run": ("Truy vết", "Trace"),
    "tracing.visits": ("Nơi đã đến", "Visits"),
    "tracing.contacts": ("Người tiếp xúc", "Contacts"),
    "tracing.export": ("Xuất", "Export"),
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
    "audit.where": ("Từ địa chỉ", "From address"),
    "audit.note": ("Mỗi lần truy vết và mỗi lần xem trang có họ tên hoặc số giấy tờ đều được "
                   "ghi lại, kể cả lần xem trang này; không ai sửa hay xoá được.",
                   "Every trace and every view of a page with names or document numbers is "
                   "recorded, this view included; nobody can change or delete a record."),
    "audit.none": ("Chưa có.", "Nothing yet."),
}


REPORT_COLUMNS: dict[str, tuple[str, str]] = {
    # a report's keys (kiosk.central.report_formats.LABELS) in both languages
    "checkpoint_id": ("Mã điểm", "Checkpoint"), "name": ("Tên điểm", "Name"),
    "district": ("Huyện", "District"), "kind": ("Loại địa điểm", "Kind of place"),
    "set_up": ("Đã triển khai", "Set up"), "points_set_up": ("Điểm triển khai", "Points set up"),
    "points_scanned": ("Điểm có quét", "Points scanning"),
    "points_active_7d": ("Điểm hoạt động 7 ngày", "Active in 7 days"),
    "adoption_ratio": ("Tỷ lệ hoạt động", "Adoption ratio"), "scans": ("Lượt quét", "Scans"),
    "ins": ("Vào", "In"), "outs": ("Ra", "Out"), "manual": ("Nhập tay", "Manual"),
    "manual_share": ("Tỷ lệ nhập tay", "Manual share"), "refused": ("Quét lỗi", "Refused"),
    "refused_share": ("Tỷ lệ quét lỗi", "Refused share"), "people": ("Số người", "People"),
    "late_entries": ("Bản ghi đến muộn", "Late entries"), "hour": ("Giờ", "Hour"),
    "problem": ("Vấn đề", "Problem"), "kiosk_id": ("Mã máy", "Kiosk"),
    "detail": ("Chi tiết", "Detail"), "last_seen_at": ("Liên lạc lần cuối", "Last heard from"),
    "day": ("Ngày", "Day"), "entries": ("Số bản ghi", "Entries"),
    "days_scanned": ("Số ngày có quét", "Days scanning"), "metric": ("Chỉ tiêu", "Measure"),
    "value": ("Giá trị", "Value"),
}
TABLE_TITLES = {  # report_formats' Vietnamese section titles in English
    "Tổng hợp": "Summary", "Theo huyện": "By district", "Theo loại địa điểm": "By kind of place",
    "Theo giờ": "By hour", "Theo điểm": "By point", "Nơi không quét": "Places not scanning",
    "Nơi quét sai": "Places scanning wrongly", "Máy chưa gửi đủ": "Kiosks not heard from",
    "Bản ghi đến muộn": "Late entries", "Theo ngày": "By day",
}


class Translator:
    """``t(key, **values)`` in one language; ``t.num(n)`` and ``t.pct(ratio)`` as it writes."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._index = LANGUAGES.index(lang)

    def __call__(self, key: str, **values: Any) -> str:
        text = TEXT[key][self._index]
        return text.format(**values) if values else text

    def column(self, key: str) -> str:
        return REPORT_COLUMNS.get(key, (key, key))[self._index]

    def title(self, vietnamese: str) -> str:
        return vietnamese if self.lang == "vi" else TABLE_TITLES.get(vietnamese, vietnamese)

    def cell(self, key: str, value: Any) -> str:
        """A report's value as this language writes it (numbers, ratios, codes)."""
        if value is None:
            return "–"
        if key in ("adoption_ratio", "manual_share", "refused_share"):
            return self.pct(value)
        if isinstance(value, bool):
            return "✓" if value else "–"
        if isinstance(value, int | float):
            return self.num(value, 0 if isinstance(value, int) else 2)
        if key == "kind" and f"kind.{value}" in TEXT:
            return self(f"kind.{value}")
        if key == "problem" and f"problem.{value}" in TEXT:
            return self(f"problem.{value}")
        return str(value)

    def num(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        text = f"{value:,.{digits}f}"
        if self.lang == "vi":
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def pct(self, ratio: float | None) -> str:
        return "–" if ratio is None else self.num(100 * ratio, 1) + " %"


def translator(lang: str) -> Translator:
    return Translator(lang if lang in LANGUAGES else DEFAULT)
