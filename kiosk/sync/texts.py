"""What the sync worker and the sync commands say to an operator, in Vietnamese and English."""

from __future__ import annotations

_TEXT: dict[str, dict[str, str]] = {
    "no_token": {
        "vi": "Chưa có mã đồng bộ: đặt [sync] token hoặc token_file (cấp bằng "
              "`kiosk-central kiosks add`)",
        "en": "No sync token: set [sync] token or token_file (issued by "
              "`kiosk-central kiosks add`)"},
    "auth_401": {
        "vi": "Máy chủ trung tâm từ chối mã đồng bộ của trạm ({detail}); đã ngừng tải lên. "
              "Cấp mã mới bằng `kiosk-central kiosks add`, cập nhật [sync] token rồi bấm Đồng bộ",
        "en": "The centre refused this kiosk's token ({detail}); uploads stopped. Issue a new "
              "one with `kiosk-central kiosks add`, update [sync] token, then push again"},
    "auth_403": {
        "vi": "Máy chủ trung tâm từ chối: dữ liệu không thuộc trạm được cấp mã này ({detail}); "
              "đã ngừng tải lên. Kiểm tra [kiosk] id và [sync] token",
        "en": "The centre refused entries that are not this token's kiosk's ({detail}); "
              "uploads stopped. Check [kiosk] id and [sync] token"},
    "refused": {
        "vi": "Máy chủ trung tâm không nhận yêu cầu ({detail}); có thể phiên bản phần mềm "
              "không khớp. Sẽ thử lại thưa hơn",
        "en": "The centre refuses our uploads ({detail}); the software versions may not "
              "match. Retrying rarely"},
    "too_large": {
        "vi": "Bản ghi quá lớn để máy chủ nhận ({detail})",
        "en": "Entry too large for the centre to take ({detail})"},
    "stopped": {"vi": "Trạm đang tắt; phần còn lại vẫn chờ gửi",
                "en": "The kiosk is shutting down; the rest stays pending"},
    "unencodable": {
        "vi": "Trạm không mã hoá được bản ghi ({detail})",
        "en": "The kiosk could not encode this entry ({detail})"},
    # commands
    "pending": {"vi": "Chờ gửi", "en": "Pending"},
    "exported": {"vi": "  trong đó đã xuất ra tệp", "en": "  of which exported to a file"},
    "rejected": {"vi": "Bị từ chối", "en": "Rejected"},
    "oldest": {"vi": "Cũ nhất chờ gửi", "en": "Oldest pending"},
    "last_success": {"vi": "Gửi thành công lần cuối", "en": "Last success"},
    "last_error": {"vi": "Lỗi gần nhất", "en": "Last error"},
    "alert": {"vi": "CẢNH BÁO", "en": "ALERT"},
    "server": {"vi": "Máy chủ", "en": "Server"},
    "reachable": {"vi": "kết nối được", "en": "reachable"},
    "unreachable": {"vi": "không kết nối được", "en": "unreachable"},
    "clock": {"vi": "Lệch đồng hồ trạm", "en": "Kiosk clock offset"},
    "never": {"vi": "chưa bao giờ", "en": "never"},
    "none": {"vi": "không có", "en": "none"},
    "sync_disabled": {"vi": "(đồng bộ nền đang tắt: [sync] enabled = false)",
                      "en": "(background sync is off: [sync] enabled = false)"},
    "push_done": {
        "vi": "Đã gửi {done} bản ghi trong {seconds:.1f} giây: {accepted} mới, {duplicate} "
              "trung tâm đã có, {rejected} bị từ chối; còn {remaining} chờ gửi",
        "en": "Sent {done} entries in {seconds:.1f} s: {accepted} new, {duplicate} already "
              "at the centre, {rejected} rejected; {remaining} still pending"},
    "push_failed": {"vi": "Chưa gửi hết: {error}", "en": "Not everything was sent: {error}"},
    "nothing_pending": {"vi": "Không có bản ghi nào chờ gửi", "en": "Nothing pending"},
    "retried": {"vi": "{count} bản ghi bị từ chối đã được đưa lại vào hàng chờ gửi",
                "en": "{count} rejected entries are pending again"},
    "export_done": {
        "vi": "Đã xuất {entries} bản ghi ra {path} ({size} byte); chúng vẫn chờ gửi cho tới "
              "khi trung tâm nhập tệp hoặc nhận qua mạng",
        "en": "Exported {entries} entries to {path} ({size} bytes); they stay pending until "
              "the centre imports the file or receives them over the network"},
    "export_failed": {"vi": "Không xuất được tệp: {error}", "en": "Export failed: {error}"},
}


def text(code: str, language: str = "vi", **params: object) -> str:
    entry = _TEXT[code]
    template = entry.get(language) or entry["en"]
    return template.format(**params) if params else template
