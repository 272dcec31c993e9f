"""The store's folder replaced under the running kiosk by a link to itself: the store's path
can no longer be looked at (ELOOP), so whether it still names the file the kiosk writes to
is unknown. The officer is told NOT RECORDED for the next person, never left with the
previous person's green card, and the status strip says no scan is recorded (why: in its
tooltip, and on the card); the sync screen that uploads
wait for the store. A real kiosk, pipeline, store and main window (offscreen)."""

from __future__ import annotations

from ui_support import (  # noqa: F401
    CCCD_AN,
    CCCD_BINH,
    load,
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.scan import Scan
from tests.store_support import loop_in_place_of, swap
from tests.sync_support import TakingEveryBatch, serving
from tests.test_ui_disk_failing import one_second_answers
from tests.test_ui_not_recorded import NO_SCAN_ON_STRIP


def test_a_store_folder_replaced_by_a_link_loop_turns_the_card_to_not_recorded(
        make_window, qtbot, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('path = "kiosk.db"', 'path = "data/kiosk.db"'))
    window = make_window(path)
    config = load(path)
    card = window.officer.card
    window.submit_scan(Scan(CCCD_BINH.encode(), device_id="wedge", lane="in"))
    qtbot.waitUntil(lambda: card.result is not None and card.result.recorded, timeout=10_000)
    loop_in_place_of(data)  # data -> data

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))

    qtbot.waitUntil(lambda: not card.result.recorded, timeout=10_000)
    assert card.result.reason_code == "storage_error"
    assert card.headline.text() == "CHƯA GHI ĐƯỢC"
    words = (f"{config.store_path}: không truy cập được (các liên kết trên đường dẫn tạo "
             "thành vòng lặp), nên không biết còn là tệp kho dữ liệu trạm đã mở hay không "
             "(thư mục chứa nó bị thay, hoặc ổ đĩa lỗi); không ghi được lượt quét nào cho đến "
             "khi truy cập lại được và vẫn là đúng tệp đó, hoặc khởi động lại trạm")
    qtbot.waitUntil(lambda: window.strip.sync.toolTip() == words, timeout=10_000)
    assert window.strip.sync.text() == NO_SCAN_ON_STRIP
    assert "#c62828" in window.strip.sync.styleSheet()


def test_the_card_reads_ready_again_once_the_store_folder_comes_back(make_window, qtbot,
                                                                   tmp_path):
    """The folder could not be looked at for a while (a network disk's hiccup would do the
    same as the link loop here): the card read NOT RECORDED. Once the folder is back, the
    same file with its own log, the strip's poll turns the card READY again, and the next
    scan is recorded."""
    data = tmp_path / "data"
    data.mkdir()
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('path = "kiosk.db"', 'path = "data/kiosk.db"'))
    window = make_window(path)
    card = window.officer.card
    assert card.headline.text() == "SẴN SÀNG"
    kept = loop_in_place_of(data)
    qtbot.waitUntil(lambda: card.headline.text() == "CHƯA GHI ĐƯỢC", timeout=10_000)

    swap(kept, data)  # the folder back, in one step

    qtbot.waitUntil(lambda: card.headline.text() == "SẴN SÀNG", timeout=10_000)
    assert card.state == "idle"
    assert window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="wedge")).recorded


def test_a_store_folder_moved_away_and_back_reads_ready_again_by_itself(make_window, qtbot,
                                                                        tmp_path):
    """``mv data data.away``, a scan, ``mv data.away data``: the card said the store file was
    deleted or replaced and the kiosk had to be restarted — untrue, the same file came back.
    It says the store folder is missing, and reads READY by itself once the folder is back."""
    data = tmp_path / "data"
    data.mkdir()
    path = one_second_answers(write_config(tmp_path), store="data/kiosk.db")
    window = make_window(path)
    config = load(path)
    card = window.officer.card
    away = data.rename(tmp_path / "data.away")

    window.submit_scan(Scan(CCCD_AN.encode(), device_id="wedge", lane="in"))

    qtbot.waitUntil(lambda: card.result is not None and not card.result.recorded,
                    timeout=10_000)
    words = (f"{config.store_path}: không truy cập được (thư mục kho không còn), nên không "
             "biết còn là tệp kho dữ liệu trạm đã mở hay không (thư mục chứa nó bị thay, hoặc "
             "ổ đĩa lỗi); không ghi được lượt quét nào cho đến khi truy cập lại được và vẫn là "
             "đúng tệp đó, hoặc khởi động lại trạm")
    qtbot.waitUntil(lambda: window.strip.sync.toolTip() == words, timeout=10_000)
    assert card.headline.text() == "CHƯA GHI ĐƯỢC"

    away.rename(data)

    qtbot.waitUntil(lambda: card.headline.text() == "SẴN SÀNG", timeout=10_000)
    assert window.kiosk.pipeline.submit(Scan(CCCD_BINH.encode(), device_id="wedge")).recorded


def test_the_sync_screen_says_uploads_paused_then_counts_them_sent_once_the_folder_is_back(
        make_window, qtbot, tmp_path):
    """The sync operator's screen while the folder cannot be looked at: an alert that
    uploads are paused and go on by themselves (not "restart the kiosk"). Once the folder
    is back and a scan recorded, the alert is gone, the scan reaches the stand-in centre on
    127.0.0.1 and the screen counts nothing pending."""
    data = tmp_path / "data"
    data.mkdir()
    centre = TakingEveryBatch.anew()
    with serving(centre) as url:
        path = write_config(tmp_path, extra=f'\n[sync]\nenabled = true\nserver_url = "{url}"\n'
                                            'token = "t"\ninterval_seconds = 1\n')
        path.write_text(path.read_text().replace('path = "kiosk.db"', 'path = "data/kiosk.db"'))
        window = make_window(path)
        window.open_sync()
        qtbot.keyClicks(window.gate.dialog.field, "2468")
        window.gate.dialog.ok.click()
        screen = window.sync_screen
        kept = loop_in_place_of(data)

        qtbot.waitUntil(lambda: "CẢNH BÁO: Tạm ngừng gửi lên trung tâm" in screen.facts.text(),
                        timeout=10_000)
        assert "việc gửi tự tiếp tục khi kho dữ liệu ghi được trở lại" in screen.facts.text()

        swap(kept, data)
        entry = window.kiosk.pipeline.submit(Scan(CCCD_AN.encode(), device_id="wedge"))
        assert entry.recorded

        qtbot.waitUntil(lambda: centre.batches == [[entry.entry_id]], timeout=10_000)
        qtbot.waitUntil(lambda: "CẢNH BÁO" not in screen.facts.text()
                        and screen.tiles["pending"].value.text() == "0", timeout=10_000)
