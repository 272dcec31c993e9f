"""Scan → ScanResult: the decision an officer sees, always backed by what is on disk."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.scan import Direction, Scan, Status
from tests.conftest import CCCD_AN, CCCD_BINH

PCCOVID_AN_MASKED = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|"


def scan(payload: str, *, lane: str | None = None, at: float | None = None,
         device: str = "d1") -> Scan:
    """A scan read now, or at the wall time ``at`` (earlier or later): then its monotonic
    time moves by as much, as a kiosk's clocks both run (a step of the wall clock alone is
    tests/test_pipeline_clock.py's). Ahead of the machine's own monotonic clock, so that
    hours back stay a time since boot: a test's scans are either all ``at`` or none."""
    if at is None:
        return Scan(payload=payload.encode(), device_id=device, lane=lane)
    return Scan(payload=payload.encode(), device_id=device, lane=lane, wall_time=at,
                monotonic_ns=time.monotonic_ns() + 10**13 + int((at - time.time()) * 1e9))


def test_accepted_means_committed_before_anyone_is_told(make_pipeline):
    pipeline = make_pipeline()
    seen_on_disk = []

    def listener(result):
        other = sqlite3.connect(pipeline.store.path)  # another connection sees only commits
        seen_on_disk.append(other.execute(
            "SELECT count(*) FROM entries WHERE id = ?", (result.entry_id,)).fetchone()[0])
        other.close()

    pipeline.subscribe(listener)
    result = pipeline.submit(scan(CCCD_AN))
    assert result.status is Status.ACCEPTED and result.recorded
    assert result.display_document == "••••••••2345"
    assert seen_on_disk == [1]


def test_the_stored_row_keeps_raw_bytes_both_clocks_and_identity(make_pipeline):
    pipeline = make_pipeline()
    s = scan(CCCD_AN, lane="in")
    result = pipeline.submit(s)
    row = pipeline.store.entries()[0]
    assert row["id"] == result.entry_id
    assert row["payload"] == CCCD_AN.encode()
    assert row["monotonic_ns"] == s.monotonic_ns and row["boot_id"]
    assert (row["kind"], row["name"], row["direction"], row["sync_state"]) == (
        "cccd", "Nguyễn Văn An", "in", "pending")
    assert (row["checkpoint_id"], row["kiosk_id"], row["device_id"]) == ("CP-T", "kiosk-t", "d1")


def test_unreadable_codes_are_refused_with_a_reason_and_logged_not_recorded(make_pipeline):
    pipeline = make_pipeline()
    result = pipeline.submit(scan("001099012345||An|31021990|Nam|HN|10102021"))
    assert result.status is Status.REJECTED and not result.recorded
    assert result.reason_in("vi") == "Mã CCCD sai: ngày sinh '31021990': ngày không tồn tại"
    assert pipeline.store.entries() == []
    refused = pipeline.store.conn.execute("SELECT reason_code FROM refused_scans").fetchall()
    assert refused == [("cccd_bad_field",)]


class TestDuplicates:
    def test_warn_records_the_second_scan_and_says_how_long_ago(self, make_pipeline):
        pipeline = make_pipeline(duplicate_policy="warn", duplicate_window_seconds=600)
        now = time.time()
        first = pipeline.submit(scan(CCCD_AN, lane="in", at=now - 180))
        second = pipeline.submit(scan(CCCD_AN, lane="in", at=now))
        assert second.status is Status.DUPLICATE and second.recorded
        assert second.reason_in("vi") == "Đã quét 3 phút trước"
        row = pipeline.store.entries()[-1]
        assert (row["status"], row["duplicate_of"]) == ("duplicate", first.entry_id)

    def test_block_refuses_to_record_the_second_scan(self, make_pipeline):
        pipeline = make_pipeline(duplicate_policy="block")
        pipeline.submit(scan(CCCD_AN, lane="in"))
        second = pipeline.submit(scan(CCCD_AN, lane="in"))
        assert second.status is Status.DUPLICATE and not second.recorded
        assert len(pipeline.store.entries()) == 1

    def test_allow_records_both_as_accepted(self, make_pipeline):
        pipeline = make_pipeline(duplicate_policy="allow")
        results = [pipeline.submit(scan(CCCD_AN, lane="in")) for _ in range(2)]
        assert [r.status for r in results] == [Status.ACCEPTED, Status.ACCEPTED]

    def test_outside_the_window_is_a_new_scan(self, make_pipeline):
        pipeline = make_pipeline(duplicate_window_seconds=60)
        now = time.time()
        pipeline.submit(scan(CCCD_AN, lane="in", at=now - 120))
        assert pipeline.submit(scan(CCCD_AN, lane="in", at=now)).status is Status.ACCEPTED

    def test_leaving_by_the_exit_lane_right_after_entering_is_not_a_duplicate(
            self, make_pipeline):
        pipeline = make_pipeline()
        pipeline.submit(scan(CCCD_AN, lane="in"))
        out = pipeline.submit(scan(CCCD_AN, lane="out"))
        assert (out.status, out.direction) == (Status.ACCEPTED, Direction.OUT)

    def test_a_masked_pccovid_code_is_the_same_person_as_the_cccd(self, make_pipeline):
        pipeline = make_pipeline()
        pipeline.submit(scan(CCCD_AN, lane="in"))
        again = pipeline.submit(scan(PCCOVID_AN_MASKED, lane="in"))
        assert again.status is Status.DUPLICATE
        assert pipeline.store.entries()[-1]["subject_key"] == "doc:001099012345"


class TestDirection:
    def test_lane_of_the_device_decides(self, make_pipeline):
        pipeline = make_pipeline(default_direction="in")
        assert pipeline.submit(scan(CCCD_AN, lane="out")).direction is Direction.OUT

    def test_toggle_lanes_follow_the_officer_switch(self, make_pipeline):
        pipeline = make_pipeline(default_direction="in")
        assert pipeline.submit(scan(CCCD_AN, lane="toggle")).direction is Direction.IN
        pipeline.set_direction("out")
        assert pipeline.submit(scan(CCCD_BINH, lane="toggle")).direction is Direction.OUT
        with pytest.raises(ValueError):
            pipeline.set_direction("sideways")

    def test_auto_is_in_when_outside_and_out_when_inside(self, make_pipeline):
        pipeline = make_pipeline(default_direction="auto", duplicate_window_seconds=60)
        now = time.time()
        got = [pipeline.submit(scan(CCCD_AN, lane="toggle", at=now + t)).direction
               for t in (-7200, -3600, 0)]
        assert got == [Direction.IN, Direction.OUT, Direction.IN]

    def test_auto_within_the_window_is_a_duplicate_not_an_exit(self, make_pipeline):
        pipeline = make_pipeline(default_direction="auto")
        pipeline.submit(scan(CCCD_AN, lane="auto"))
        again = pipeline.submit(scan(CCCD_AN, lane="auto"))
        assert (again.status, again.direction) == (Status.DUPLICATE, Direction.IN)


class TestManualEntry:
    def test_a_person_without_a_code_is_recorded_as_manual(self, make_pipeline):
        pipeline = make_pipeline()
        result = pipeline.submit_manual(ManualEntry(
            name="Phạm Thị Dung", document_number="038190001234", phone="0912 345 678",
            address="Thanh Hoá", reason="quên điện thoại"))
        assert result.status is Status.ACCEPTED
        row = pipeline.store.entries()[0]
        assert (row["kind"], row["source"], row["subject_key"]) == (
            "manual", "manual", "doc:038190001234")
        assert '"phone": "0912345678"' in row["extra"]

    def test_the_same_person_by_code_later_is_recognised(self, make_pipeline):
        pipeline = make_pipeline()
        pipeline.submit_manual(ManualEntry(name="Nguyễn Văn An", document_number="001099012345"))
        assert pipeline.submit(scan(CCCD_AN)).status is Status.DUPLICATE

    @pytest.mark.parametrize(("entry", "vietnamese", "english"), [
        (ManualEntry(name="", document_number="001099012345"), "thiếu họ tên", "name is empty"),
        (ManualEntry(name="An", document_number="12ab"), "số giấy tờ '12AB'",
         "document number '12AB': expected 9 or 12 digits"),
        (ManualEntry(name="An", phone="12"), "số điện thoại '12'", "phone '12'"),
        (ManualEntry(name="An"), "cần số giấy tờ hoặc số điện thoại",
         "a document number or a phone number is needed"),
    ])
    def test_incomplete_forms_are_refused_naming_the_field(
            self, make_pipeline, entry, vietnamese, english):
        result = make_pipeline().submit_manual(entry)
        assert result.status is Status.REJECTED and result.reason_code == "manual_bad_field"
        assert result.reason_in("vi").startswith("Khai báo thủ công thiếu hoặc sai: ")
        assert vietnamese in result.reason_in("vi")
        assert english in decode_manual(entry).detail  # what logs keep


def test_concurrent_devices_lose_nothing_and_share_one_truth(make_pipeline):
    pipeline = make_pipeline(duplicate_policy="block")
    results, lock = [], threading.Lock()

    def device(n: int) -> None:
        for i in range(200):
            r = pipeline.submit(scan(f"device{n}-code{i}", device=f"d{n}"))
            with lock:
                results.append(r)

    # Every device also scans the same person at once: exactly one of them is first.
    threads = [threading.Thread(target=device, args=(n,)) for n in range(4)]
    same = [threading.Thread(target=lambda: results.append(pipeline.submit(scan(CCCD_AN))))
            for _ in range(4)]
    for t in threads + same:
        t.start()
    for t in threads + same:
        t.join()
    recorded = [r.entry_id for r in results if r.recorded]
    assert len(recorded) == len(set(recorded)) == 801
    assert sorted(r.status.value for r in results if r.scan.payload == CCCD_AN.encode()) == [
        "accepted", "duplicate", "duplicate", "duplicate"]
    assert {r["id"] for r in pipeline.store.entries()} == set(recorded)


def test_a_full_disk_refuses_the_scan_loudly_and_keeps_what_was_recorded(make_pipeline):
    pipeline = make_pipeline()
    kept = pipeline.submit(scan(CCCD_AN))
    with pipeline.store.lock:  # not inside the upkeep thread's move of the name, if any
        pages = pipeline.store.conn.execute("PRAGMA page_count").fetchone()[0]
        pipeline.store.conn.execute(f"PRAGMA max_page_count = {pages}")
    big = "x" * 2000
    results = [pipeline.submit(scan(f"{big}{i}")) for i in range(50)]
    failed = [r for r in results if not r.recorded]
    assert failed, "the database never filled up"
    assert all(r.status is Status.REJECTED and r.reason_code == "storage_error" for r in failed)
    assert failed[0].reason_in("vi").startswith("Lỗi lưu trữ, lượt quét CHƯA được ghi: ")
    assert "ổ đĩa đầy" in failed[0].reason_in("vi")
    ids = {r["id"] for r in pipeline.store.entries()}
    assert kept.entry_id in ids
    assert ids == {kept.entry_id} | {r.entry_id for r in results if r.recorded}


def test_a_failing_listener_does_not_stop_the_queue(make_pipeline):
    pipeline = make_pipeline()
    pipeline.subscribe(lambda r: 1 / 0)
    got = []
    unsubscribe = pipeline.subscribe(got.append)
    pipeline.submit(scan(CCCD_AN))
    unsubscribe()
    pipeline.submit(scan(CCCD_BINH))
    assert len(got) == 1


def test_a_scan_that_fails_in_a_way_nobody_foresaw_is_answered_not_recorded(make_pipeline,
                                                                            caplog):
    """Taking a scan raised what is not a StoreError (here a monotonic reading the centre's
    rules refuse, which SQLite cannot bind even into the refused scans' log: standing for
    any program's fault): the scan was "begun" for the screens (SAVING… after 0.3 s) and
    never answered, so the card read SAVING… until the next scan's answer. Now every scan
    begun ends in an answer to its listeners: NOT RECORDED, in the kiosk's words (the trace
    goes to the log); nothing is half written, and the next scan is recorded as usual."""
    pipeline = make_pipeline()
    begun, answered = [], []
    pipeline.subscribe_begun(begun.append)
    pipeline.subscribe(answered.append)
    faulty = Scan(payload=CCCD_AN.encode(), device_id="d1", lane="in", monotonic_ns=2**70)

    result = pipeline.submit(faulty)

    assert begun == [faulty] and answered == [result] and result.scan is faulty
    assert result.status is Status.REJECTED and not result.recorded
    assert result.reason_code == "kiosk_fault"
    assert result.reason_in("vi") == ("Lỗi phần mềm của trạm, lượt quét CHƯA được ghi. Quét "
                                      "lại; nếu vẫn lỗi, gọi kỹ thuật viên (chi tiết trong "
                                      "nhật ký)")
    assert result.reason_in("en").startswith("Kiosk software fault, scan NOT recorded.")
    said = [r for r in caplog.records if r.name == "kiosk.pipeline" and r.levelname == "ERROR"]
    assert said and said[0].getMessage().startswith(  # in both languages, the trace with it
        "lượt quét từ d1 CHƯA được ghi: Lỗi phần mềm của trạm"), said
    assert " / scan from d1 NOT recorded: Kiosk software fault" in said[0].getMessage()
    assert said[0].exc_info is not None
    assert pipeline.store.entries() == []
    assert pipeline.submit(scan(CCCD_AN, lane="in")).recorded
    assert len(pipeline.store.entries()) == 1
