"""Camera on the screens: OpenCV's BGR frames become correctly coloured QImages with the
codes outlined, and a real camera device (a video file written with OpenCV) shows its
picture on the officer screen and its statistics on the technician screen while its scans
reach the result card. The statistics are worded in the screen's language, and the last
code read is described as `kiosk devices watch` describes it: a citizen ID by its kind,
name and masked number, an enrolment code without its one-time secret."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
from camera_support import (
    CCCD,
    ENROLMENT,
    ENROLMENT_SECRET,
    URL,
    MjpegServer,
    Shot,
    background,
    place,
    qr_image,
    write_video,
)
from PySide6.QtGui import QColor, QImage
from ui_support import (  # noqa: F401
    make_window_fixture,
    translations_built_fixture,
    write_config,
)

from kiosk.devices.camera import CameraDevice, CameraStats
from kiosk.devices.kinds.camera import CameraOptions
from kiosk.ui.camera_preview import stats_lines
from kiosk.ui.widgets import OUTLINE_READ, OUTLINE_UNREAD, frame_to_image, state_text


def two_colour_frame() -> np.ndarray:
    frame = np.zeros((120, 160, 3), dtype=np.uint8)
    frame[:, :80] = (255, 0, 0)  # BGR: blue on the left
    frame[:, 80:] = (0, 0, 255)  # red on the right
    return frame


def test_a_bgr_frame_keeps_its_colours_and_size():
    image = frame_to_image(two_colour_frame())
    assert (image.width(), image.height()) == (160, 120)
    assert image.pixelColor(10, 60) == QColor(0, 0, 255)
    assert image.pixelColor(150, 60) == QColor(255, 0, 0)


def test_a_grey_frame_is_shown_as_grey():
    frame = np.full((40, 60), 200, dtype=np.uint8)
    assert frame_to_image(frame).pixelColor(5, 5) == QColor(200, 200, 200)


def test_read_codes_are_outlined_green_unread_ones_amber_and_the_frame_is_untouched():
    frame = two_colour_frame()
    original = frame.copy()
    image = frame_to_image(frame, read=[((20, 20), (60, 20), (60, 60), (20, 60))],
                           unread=[((100, 20), (140, 20), (140, 60), (100, 60))])
    assert image.pixelColor(40, 20).name() == OUTLINE_READ
    assert image.pixelColor(120, 20).name() == OUTLINE_UNREAD
    assert image.pixelColor(40, 40) == QColor(0, 0, 255)  # inside: not filled
    assert np.array_equal(frame, original)


def camera_reading(path: Path, text: str) -> CameraStats:
    """A real camera device's statistics after it read a video of ``text``'s QR code."""
    write_video(path, [Shot(3), Shot(8, qr_image(text, scale=4)), Shot(3)], size=(640, 480))
    device = CameraDevice(CameraOptions(id="cam", type="camera", lane="in", source=str(path)))
    device.run(lambda scan: None, threading.Event())
    return device.stats()


def test_camera_statistics_are_worded_in_the_screens_language():
    """The figures read as the camera check prints them, in the screen's language."""
    stats = CameraStats(capture_fps=29.97, decode_fps=9.6, ms_per_frame_p50=1.12,
                        frames_seen=12, state="running", frame_size=(640, 480))
    assert stats_lines(stats, "vi") == [
        "đang chạy: 640×480, thu 30.0 hình/s, giải mã 9.6 hình/s, 1.1 ms/hình, 12 hình"]
    assert stats_lines(stats, "en") == [
        "running: 640×480, capture 30.0 fps, decode 9.6 fps, 1.1 ms/frame, 12 frames"]
    assert stats_lines(CameraStats(), "vi") == [
        "đang mở: chưa có hình, thu 0.0 hình/s, giải mã 0.0 hình/s, 0.0 ms/hình, 0 hình"]


def test_a_citizen_id_read_shows_its_kind_name_and_masked_number_only(tmp_path):
    """The last CCCD read is the kind, the name and the last four digits: not the document
    number, birth date or address the code holds."""
    stats = camera_reading(tmp_path / "cccd.avi", CCCD)
    vi, en = stats_lines(stats, "vi"), stats_lines(stats, "en")
    assert vi[0].startswith("đã kết thúc: 640×480, thu ")
    assert vi[1:] == ["đọc lần cuối: CCCD: Nguyễn Văn An ••••••••2345"]
    assert en[1:] == ["last read: Citizen ID: Nguyễn Văn An ••••••••2345"]
    for private in ("001099012345", "123456789", "01021990", "Phố Huế"):
        assert private not in " ".join(vi + en)


def test_an_enrolment_code_read_shows_no_secret(tmp_path):
    """The kiosk's enrolment QR held up to the camera is shown as ``ckenrol:1?…``."""
    stats = camera_reading(tmp_path / "enrolment.avi", ENROLMENT)
    lines = stats_lines(stats, "vi")
    assert lines[1:] == ["đọc lần cuối: ckenrol:1?…"]
    assert ENROLMENT_SECRET not in " ".join(lines)


def test_a_camera_shows_its_picture_and_its_scans_reach_the_card(make_window, qtbot, tmp_path):
    video = tmp_path / "gate.avi"
    write_video(video, [Shot(3), Shot(12, qr_image(CCCD, scale=4))], size=(640, 480), fps=10)
    device = (f'\n[[devices]]\nid = "cam"\ntype = "camera"\nlane = "in"\nsource = "{video}"\n'
              "loop = true\n")
    window = make_window(write_config(tmp_path, device))
    preview = window.officer.camera
    assert preview.isVisible() and preview.device_id == "cam"
    qtbot.waitUntil(lambda: window.officer.card.state == "accepted", timeout=20000)
    assert window.officer.card.name.text() == "Nguyễn Văn An"
    qtbot.waitUntil(lambda: preview.view.image is not None, timeout=10000)
    assert (preview.view.image.width(), preview.view.image.height()) == (640, 480)

    window._show_technician()
    technician = window.technician
    technician.table.selectRow(0)
    technician.tabs.setCurrentWidget(technician.camera)
    assert technician.tabs.isTabEnabled(2)
    shown = technician.camera.stats
    qtbot.waitUntil(lambda: "đọc lần cuối" in shown.text(), timeout=10000)
    assert shown.text().startswith("đang chạy: 640×480, thu ")
    assert "đọc lần cuối: CCCD: Nguyễn Văn An ••••••••2345" in shown.text()
    assert "001099012345" not in shown.text() and "Phố Huế" not in shown.text()

    window.set_language("en", remember=False)  # the next poll follows a switch
    qtbot.waitUntil(lambda: "last read: Citizen ID: Nguyễn Văn An ••••••••2345"
                    in shown.text(), timeout=10000)
    assert shown.text().startswith("running: 640×480, capture ")


def test_a_frozen_camera_picture_turns_grey_and_says_its_age(make_window, qtbot, tmp_path):
    """A stream that sends 40 frames and then hangs, connection open: its last picture must
    not pass for a live one. Before: shown in colour, unlabelled, until the camera was back."""
    camera = MjpegServer(place(background(640, 480), qr_image(URL, scale=4)), hang=True)
    try:
        device = (f'\n[[devices]]\nid = "cam"\ntype = "camera"\nlane = "in"\n'
                  f'source = "{camera.url}"\n')
        preview = make_window(write_config(tmp_path, device)).officer.camera
        qtbot.waitUntil(lambda: preview.view.image is not None, timeout=10000)
        live = preview.view.image.format(), preview.age.isVisible()
        qtbot.waitUntil(lambda: preview.age.isVisible(), timeout=15000)
        frozen = preview.view.image.format(), preview.age.text()
    finally:
        camera.close()
    assert live == (QImage.Format.Format_BGR888, False)
    assert frozen[0] == QImage.Format.Format_Grayscale8
    assert re.fullmatch(r"hình cũ [2-9] giây", frozen[1])


def test_a_camera_the_kiosk_no_longer_runs_says_why_instead_of_running(
        make_window, qtbot, tmp_path):
    """The stream hangs; the watchdog ends the camera and the supervisor, unable to reach
    it again, waits to retry. The technician's statistics line then says so in the
    supervisor's words; before, it kept its last "running: …" until the camera was back."""
    camera = MjpegServer(place(background(640, 480), qr_image(URL, scale=4)), hang=True)
    try:
        device = (f'\n[[devices]]\nid = "cam"\ntype = "camera"\nlane = "in"\n'
                  f'source = "{camera.url}"\n')
        window = make_window(write_config(tmp_path, device))
        supervisor = window.bridge.kiosk.supervisor
        told: list[str] = []  # each state the supervisor gave the camera, as the line words it
        supervisor.subscribe(lambda status: told.append(
            " · ".join(filter(None, (state_text(status.state), status.reason_in("vi"))))))
        window._show_technician()
        technician = window.technician
        technician.table.selectRow(0)
        technician.tabs.setCurrentWidget(technician.camera)
        shown = technician.camera.stats
        qtbot.waitUntil(lambda: shown.text().startswith("đang chạy: 640×480"), timeout=10000)
        qtbot.waitUntil(lambda: supervisor.device("cam") is None, timeout=15000)
    finally:
        camera.close()  # gone for good: no "running" again
    qtbot.waitUntil(lambda: not shown.text().startswith("đang chạy"), timeout=5000)
    assert shown.text().startswith("lỗi · ") and shown.text() in told
