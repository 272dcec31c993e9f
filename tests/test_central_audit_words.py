"""The Audit log page and the kiosk list in the reader's language: the log keeps each record's
subject as the centre wrote it, in plain English (``… kind 'market', closed_on None``,
``name … born 1990: 19 people, none shown``), and the page showed that text — Python's
``None`` included — to Vietnamese-speaking staff, with kiosk devices ``serial-1: running``.
A real `kiosk-central serve` (the sample registry imported, two kiosks enrolled and heard
from, a user of each role), read over HTTP by its administrator; and each shape the centre
writes, worded in both languages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from central_support import central
from web_support import Centre, signed_in, start_centre

from kiosk.central.web.audit_words import subject
from kiosk.central.web.i18n import translator


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    centre = start_centre(tmp_path_factory.mktemp("audit-words"))
    yield centre
    centre.server.stop()


def subjects(page: str) -> list[str]:
    """The Audit log table's subject cells (the 7th column), as text."""
    rows = page.split('id="audit"', 1)[1].split("</table>", 1)[0].split("<tr class=")[1:]
    return [html.unescape(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[6]) for row in rows]


def test_the_audit_log_page_words_its_subjects_in_the_readers_language(
        centre: Centre) -> None:
    with signed_in(centre.url, "admin1") as admin:
        shown = subjects(admin.get("/audit").text)
        assert "tài khoản dx.officer (Cán bộ huyện, huyện Đồng Xoài)" in shown
        assert any(s.startswith("BP-DX-001: thêm mới — tỉnh Bình Phước, huyện Đồng Xoài")
                   and s.endswith("đóng từ —") for s in shown)
        assert any(s.startswith("máy kiosk-dx1 (") and s.endswith(") tại điểm BP-DX-001")
                   for s in shown)
        assert not [s for s in shown if re.search(r"None|closed_on|set_up_on|account |"
                                                  r" at checkpoint", s)]
        admin.cookies.set("kc_lang", "en")
        english = subjects(admin.get("/audit").text)
        assert "account dx.officer (District officer, district Đồng Xoài)" in english


def test_a_kiosks_devices_are_listed_with_their_state_in_the_readers_language(
        centre: Centre) -> None:
    with signed_in(centre.url, "admin1") as admin:
        page = admin.get("/kiosks").text
        assert "serial-1: đang chạy" in page and "camera-1: đang chạy" in page
        assert ": running" not in page
        admin.cookies.set("kc_lang", "en")
        assert "serial-1: running" in admin.get("/kiosks").text


MASKED = "******000001|TRAN THI BINH|1961-**-**|0|1234567|"
"""A PC-Covid code with the number masked: traced, its audit subject names its match key."""


def test_a_trace_of_a_masked_code_is_shown_on_the_audit_log_page(centre: Centre) -> None:
    """A trace by a scanned masked PC-Covid code is recorded by its match key (last digits,
    name, birth year); the Audit log page words it. Before, wording it raised a TypeError
    (the catalogue's ``{key}`` met the translator's own parameter ``key``) and the whole page
    answered 500 to the administrators while the record was among its 200 latest."""
    central("trace", "--db", centre.db, "--payload", MASKED, "--reason", "ca bệnh F0-1234")
    with signed_in(centre.url, "admin1") as admin:
        answer = admin.get("/audit")
        assert answer.status_code == 200
        assert "mã quét loại pccovid: khoá đối chiếu m:000001|TRAN THI BINH|1961" in subjects(
            answer.text)


@pytest.mark.parametrize(("kind", "written", "vi", "en"), [
    ("trace", "payload pccovid: match key m:000001|tran thi binh|1961",
     "mã quét loại pccovid: khoá đối chiếu m:000001|tran thi binh|1961",
     "scanned code (pccovid): match key m:000001|tran thi binh|1961"),
    ("trace-count", "name Nguyễn Văn An born 1990: 19 people, none shown",
     "tên Nguyễn Văn An, sinh năm 1990: 19 người, không hiện ai",
     "name Nguyễn Văn An, born 1990: 19 people, none shown"),
    ("trace", "payload cccd: document 001099000001", "mã quét loại cccd: giấy tờ số 001099000001",
     "scanned code (cccd): document 001099000001"),
    ("checkpoint", "B: district 'X' → 'Y', closed_on None → '2026-12-01'",
     "B: huyện X → Y, đóng từ — → 2026-12-01", "B: district X → Y, closed on — → 2026-12-01"),
    ("user-role", "account binh.tran (district, district Lộc Ninh) → account binh.tran (viewer)",
     "tài khoản binh.tran (Cán bộ huyện, huyện Lộc Ninh) → tài khoản binh.tran (Xem số liệu)",
     "account binh.tran (District officer, district Lộc Ninh) → account binh.tran (Viewer)"),
    ("kiosk-revoke", "kiosk k-1 (Máy 1) at checkpoint CP-A: token refused from now on",
     "máy k-1 (Máy 1) tại điểm CP-A: từ nay từ chối mã truy cập",
     "kiosk k-1 (Máy 1) at CP-A: its token refused from now on"),
    ("trace", "foreign document 272845913", "giấy tờ nước ngoài số 272845913",
     "foreign document 272845913"),
    ("restored-acknowledged", "uploads received until 2026-12-05 23:00, noted until "
     "2026-12-06 16:41: kiosk sync resend --since 2026-12-05T22:00+07:00",
     "cơ sở dữ liệu có các lần gửi đến 2026-12-05 23:00, trung tâm đã nhận đến 2026-12-06 "
     "16:41: kiosk sync resend --since 2026-12-05T22:00+07:00",
     "database with uploads until 2026-12-05 23:00, the centre had received them until "
     "2026-12-06 16:41: kiosk sync resend --since 2026-12-05T22:00+07:00"),
    # a kiosk's new token (kiosk-central kiosks token), and its copied token's entries set
    # aside and brought back (kiosks set-aside / bring-back): English on the Vietnamese page
    ("kiosk-token", "kiosk dx1-01 (active): new token; old token refused",
     "máy dx1-01: mã truy cập mới; mã cũ bị từ chối",
     "kiosk dx1-01: new token; old token refused"),
    ("kiosk-token", "kiosk dx1-01 (revoked 2026-11-30T03:05:17Z, restored): one-time "
     "enrolment code until 2026-12-01T03:10:00Z; old token refused",
     "máy dx1-01 (bị thu hồi lúc 2026-11-30T03:05:17Z, nay khôi phục): mã đăng ký dùng một "
     "lần, hạn đến 2026-12-01T03:10:00Z; mã cũ bị từ chối",
     "kiosk dx1-01 (revoked 2026-11-30T03:05:17Z, restored): one-time enrolment code until "
     "2026-12-01T03:10:00Z; old token refused"),
    ("kiosk-set-aside", "dx1-01 boot 3f2a9c: 1234 entries, 2 kept (sent by another boot too)",
     "máy dx1-01, nguồn (boot) 3f2a9c: để riêng 1.234 lượt, giữ lại 2 lượt (một nguồn khác "
     "cũng đã gửi)",
     "kiosk dx1-01, source (boot) 3f2a9c: 1,234 entries set aside, 2 kept (sent by another "
     "boot too)"),
    ("kiosk-set-aside", "dx1-01 boot 3f2a9c: 0 entries",
     "máy dx1-01, nguồn (boot) 3f2a9c: để riêng 0 lượt",
     "kiosk dx1-01, source (boot) 3f2a9c: 0 entries set aside"),
    ("kiosk-bring-back", "dx1-01 boot 3f2a9c: 1234 entries",
     "máy dx1-01, nguồn (boot) 3f2a9c: đưa trở lại 1.234 lượt",
     "kiosk dx1-01, source (boot) 3f2a9c: 1,234 entries brought back"),
    # a kiosk's backlog signing key registered by the kiosk, or set by an administrator
    ("kiosk-key", "kiosk dx1-01 backlog signing key 3f2a9c0d11e2b4a5",
     "máy dx1-01: khoá ký tệp tồn đọng 3f2a9c0d11e2b4a5",
     "kiosk dx1-01: backlog signing key 3f2a9c0d11e2b4a5"),
    ("signing-key", "kiosk dx1-01 backlog signing key 3f2a9c0d11e2b4a5 → —, compromised: old "
     "keys forgotten",
     "máy dx1-01: khoá ký tệp tồn đọng 3f2a9c0d11e2b4a5 → —, đã bị lộ: các khoá cũ bị quên",
     "kiosk dx1-01: backlog signing key 3f2a9c0d11e2b4a5 → —, compromised: old keys "
     "forgotten"),
    # a setting changed (kiosk-central retention, trace-limit): its name was the code's
    ("retention", "retention_days 21 → 60; personal_retention_days 30 → 14",
     "số ngày giữ lượt quét 21 → 60; số ngày giữ thông tin cá nhân 30 → 14",
     "days entries are kept 21 → 60; days identities are kept 30 → 14"),
    ("trace-limit", "traces_per_hour 20 → 30", "số lần tra cứu mỗi giờ của một người dùng 20 → 30",
     "traces per hour per user 20 → 30"),
    ("retention", "raw 30 → 60", "raw 30 → 60", "raw 30 → 60"),  # no known shape: as it is
])
def test_each_shape_of_subject_the_centre_writes_is_worded_in_both_languages(
        kind: str, written: str, vi: str, en: str) -> None:
    assert subject(translator("vi"), kind, written) == vi
    assert subject(translator("en"), kind, written) == en
