"""The camera device end to end: real video files written with OpenCV, read back through
CameraDevice (capture thread, frame decoder, sighting filter) into Scans."""

from __future__ import annotations

import contextlib
import errno
import os
import pwd
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from camera_support import (
    CCCD,
    CCCD_2024,
    ENROLMENT,
    ENROLMENT_SECRET,
    PCCOVID,
    URL,
    MjpegServer,
    Shot,
    background,
    blurred,
    hc1_payload,
    place,
    qr_image,
    write_video,
)

from kiosk.devices.base import DeviceError
from kiosk.devices.camera import CameraDevice, open_capture, open_problem, probe_node
from kiosk.devices.frames import FrameDecoder
from kiosk.devices.kinds.camera import CameraOptions
from kiosk.devices.supervisor import ERROR, DeviceStatus, Supervisor
from kiosk.payloads import decode
from kiosk.scan import Scan


def appearance(code: np.ndarray) -> list[Shot]:
    """One person showing a code: sharp, then moving (blurred beyond reading), then at an
    angle, then turned: 12 frames at 10 fps, never out of view for 500 ms."""
    return [Shot(4, code), Shot(2, code, blur_sigma=6), Shot(3, code, tilt_deg=20,
            perspective=0.15), Shot(3, code, tilt_deg=-35)]


def camera_options(**options: object) -> CameraOptions:
    return CameraOptions(id="cam", type="camera", **options)  # type: ignore[arg-type]


def wait_until(condition, seconds: float = 30.0) -> None:
    """Poll ``condition`` until it holds; fail (never hang) after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def run_camera(source: Path, **options: object) -> tuple[list[Scan], CameraDevice]:
    device = CameraDevice(camera_options(lane="in", source=str(source), **options))
    scans: list[Scan] = []
    device.run(scans.append, threading.Event())
    return scans, device


@pytest.fixture(scope="module")
def queue_video(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bytes], int]:
    """A queue of six people, 1 s of empty scene between them; the last one is the first
    again (coming back later counts again)."""
    people = [(CCCD, False), (CCCD_2024, True), (PCCOVID, False), (URL, False),
              (hc1_payload(), False), (CCCD, False)]
    shots: list[Shot] = []
    for text, eci in people:
        shots += [Shot(10), *appearance(qr_image(text, eci=eci, scale=4))]
    shots.append(Shot(5))
    path = tmp_path_factory.mktemp("camera") / "queue.avi"
    frames = write_video(path, shots)
    return path, [text.encode("utf-8") for text, _ in people], frames


def test_a_video_of_a_queue_gives_each_appearance_exactly_once(queue_video):
    """Vietnamese CCCD with and without ECI, PC-Covid, a URL and a real HC1 certificate are
    read to their exact bytes, once per appearance, in order, despite blurred frames."""
    path, expected, _ = queue_video
    scans, _ = run_camera(path, absent_ms=500)
    assert [s.payload for s in scans] == expected
    assert {(s.device_id, s.lane, s.source) for s in scans} == {("cam", "in", "camera")}
    assert [s.symbology for s in scans] == ["]Q1", "]Q2", "]Q1", "]Q1", "]Q1", "]Q1"]


def test_the_scans_decode_to_the_expected_kinds_without_mojibake(queue_video):
    path, _, _ = queue_video
    scans, _ = run_camera(path, absent_ms=500)
    identities = [decode(s.payload) for s in scans]
    assert [getattr(i, "kind", None) for i in identities] == [
        "cccd", "cccd", "pccovid", "other", "hc1", "cccd"]
    assert identities[1].name == "Lê Văn Tú"


def test_the_blurred_frames_really_are_unreadable_and_the_tilted_ones_readable():
    """Guards the test above: its blur gaps are real gaps, its tilts real tilts."""
    code = qr_image(CCCD, scale=4)
    scene = background(1280, 720)
    decoder = FrameDecoder()
    assert decoder.decode(blurred(place(scene, code), 6)).readings == ()
    tilted = decoder.decode(place(scene, code, tilt_deg=20, perspective=0.15)).readings
    assert [r.payload for r in tilted] == [CCCD.encode()]


def test_a_returning_code_counts_again_only_after_absent_ms(queue_video):
    """The first CCCD leaves view at 2.1 s and comes back at 12 s (media time): with
    absent_ms below that gap it is a new scan, above it the same visit. Each payload has its
    own clock: the other people in between do not matter."""
    path, expected, _ = queue_video
    scans, _ = run_camera(path, absent_ms=9000)
    assert [s.payload for s in scans] == expected
    scans, _ = run_camera(path, absent_ms=11000)
    assert [s.payload for s in scans] == expected[:-1]


def test_confirm_frames_above_any_appearance_emits_nothing(queue_video):
    path, _, _ = queue_video
    scans, _ = run_camera(path, absent_ms=500, confirm_frames=13)
    assert scans == []


def test_every_frame_of_a_file_is_decoded_and_counted(queue_video):
    path, _, frames = queue_video
    _, device = run_camera(path, absent_ms=500, preview_fps=0)
    stats = device.stats()
    assert stats.frames_seen == frames
    assert stats.state == "ended"
    assert stats.last_payload == CCCD.encode()
    assert stats.frame_size == (1280, 720)
    assert stats.ms_per_frame_p50 > 0
    assert device.preview() is None  # preview_fps = 0: no copies made


def test_preview_shows_the_newest_frame_with_the_code_outlined(tmp_path):
    code = qr_image(URL, scale=6)
    path = tmp_path / "hold.avi"
    write_video(path, [Shot(5, code)], size=(640, 480))
    _, device = run_camera(path, preview_fps=60)
    preview = device.preview()
    assert preview is not None
    assert preview.frame.shape == (480, 640, 3)
    (outline,) = preview.read
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    side = code.shape[0] - 2 * 4 * 6  # the code without its quiet zone
    assert abs((max(xs) - min(xs)) - side) < 12 and abs((max(ys) - min(ys)) - side) < 12
    assert abs((max(xs) + min(xs)) / 2 - 320) < 8 and abs((max(ys) + min(ys)) / 2 - 240) < 8


def test_the_zbar_backend_reads_the_same_video_byte_exact(queue_video):
    """zbar (binary mode) keeps UTF-8 intact too, but misses the foreshortened HC1 code: the
    gap splits that person in two at absent_ms = 500, and one second of grace hides it."""
    path, expected, _ = queue_video
    scans, _ = run_camera(path, absent_ms=500, backend="zbar")
    hc1 = expected[4]
    assert [s.payload for s in scans] == [*expected[:5], hc1, expected[5]]
    scans, _ = run_camera(path, absent_ms=1000, backend="zbar")
    assert [s.payload for s in scans] == expected
    assert {s.symbology for s in scans} == {""}  # zbar cannot tell ]Q1 from ]Q2


def test_stop_ends_a_looping_video(tmp_path):
    path = tmp_path / "loop.avi"
    write_video(path, [Shot(3), Shot(3, qr_image(PCCOVID))], size=(320, 240), fps=30)
    device = CameraDevice(camera_options(source=str(path), loop=True, absent_ms=50))
    scans: list[Scan] = []
    stop = threading.Event()
    thread = threading.Thread(target=device.run, args=(scans.append, stop))
    thread.start()
    wait_until(lambda: len(scans) >= 2)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert len(scans) >= 2  # a paced loop: the same code counts again every lap
    assert device.stats().state == "stopped"


def test_no_camera_is_a_clear_bilingual_error_the_supervisor_reports():
    supervisor = Supervisor([camera_options(lane="in", source="/dev/video97")], lambda scan: None,
                            backoff_initial=5, backoff_max=5)
    reasons: list[str] = []
    supervisor.subscribe(lambda status: reasons.append(status.reason_in(None))
                         if status.state == ERROR else None)
    supervisor.start()
    try:
        wait_until(lambda: bool(reasons))
    finally:
        supervisor.stop()
    assert reasons[0] == ("không tìm thấy camera tại /dev/video97 / "
                          "no camera at /dev/video97")


@pytest.mark.parametrize("source, words", [
    (97, "no camera at /dev/video97"),
    ("/tmp/does-not-exist.avi", "no video file at /tmp/does-not-exist.avi"),
    ("²", "no video file at ²"),  # a digit to str.isdigit, no number to int: a path
])
def test_missing_sources_raise_device_errors(source, words):
    device = CameraDevice(camera_options(source=source))
    with pytest.raises(DeviceError, match=words):
        device.run(lambda scan: None, threading.Event())
    assert device.stats().state == "error"


def test_a_file_that_is_not_a_video_cannot_be_opened(tmp_path):
    path = tmp_path / "notes.avi"
    path.write_text("not a video")
    with pytest.raises(DeviceError) as refused:
        CameraDevice(camera_options(source=str(path))).run(lambda s: None, threading.Event())
    assert refused.value.text("en") == (
        f"cannot open {path}: OpenCV cannot read this video file or stream")  # no video group


VIDEO2 = "/dev/video2"
NO_CAMERA = ("no camera at /dev/video2", "không tìm thấy camera tại /dev/video2")
NO_PERMISSION = ("permission denied on camera /dev/video2: add account kiosk to group video: "
                 "sudo usermod -aG video kiosk, then restart the kiosk: sudo systemctl "
                 "restart checkpoint-kiosk",
                 "không có quyền mở camera /dev/video2: thêm tài khoản kiosk vào nhóm video: "
                 "sudo usermod -aG video kiosk, rồi khởi động lại trạm: sudo systemctl "
                 "restart checkpoint-kiosk")
IN_USE = ("camera /dev/video2 is in use by another program (see which: fuser -v /dev/video2); "
          "close it — the running kiosk: sudo systemctl stop checkpoint-kiosk",
          "camera /dev/video2 đang được chương trình khác dùng (xem chương trình nào: fuser -v "
          "/dev/video2); đóng chương trình đó — nếu là trạm đang chạy: sudo systemctl stop "
          "checkpoint-kiosk")


@pytest.mark.parametrize("error, said", [
    (errno.ENOENT, NO_CAMERA), (errno.ENODEV, NO_CAMERA), (errno.ENXIO, NO_CAMERA),
    (errno.EACCES, NO_PERMISSION), (errno.EPERM, NO_PERMISSION),
    (errno.EBUSY, IN_USE),
    (errno.EMFILE, ("cannot open camera /dev/video2: operating system error EMFILE",
                    "không mở được camera /dev/video2: lỗi hệ điều hành EMFILE")),
], ids=lambda value: errno.errorcode.get(value, "") if isinstance(value, int) else "")
def test_why_a_camera_node_cannot_be_opened_is_told_by_the_errno_with_its_own_fix(error,
                                                                                   said):
    """``camera.cannot_open`` said "in use, or no permission: is the user in group
    'video'?" for every failure: the technician could not tell a camera the running kiosk
    holds (stop it; `fuser -v` names who) from an account missing the group (usermod, then
    restart the kiosk: the service keeps the groups it started with)."""
    words = open_problem(VIDEO2, error, "kiosk")
    assert words("en").startswith(said[0]), words("en")
    assert words("vi").startswith(said[1]), words("vi")


@contextlib.contextmanager
def an_account_the_mode_binds() -> Iterator[str]:
    """This process as an account file modes bind (root passes a mode of 000: as root, its
    effective uid is nobody's meanwhile); the account's name."""
    if os.geteuid() != 0:
        yield pwd.getpwuid(os.geteuid()).pw_name
        return
    nobody = pwd.getpwnam("nobody")
    os.seteuid(nobody.pw_uid)
    try:
        yield nobody.pw_name
    finally:
        os.seteuid(0)


def test_the_camera_node_is_probed_with_the_systems_answer_before_opencv_which_gives_none():
    """OpenCV's V4L2 capture says nothing of why a node fails (a warning on stderr,
    ``isOpened()`` False), so the node is opened first, as OpenCV opens it: a node of mode
    000 is a missing permission naming the account, a path that is not there no camera, a
    node this account opens is left to OpenCV."""
    with tempfile.TemporaryDirectory() as folder:  # nobody may enter it, not open the node
        os.chmod(folder, 0o755)
        node = Path(folder, "video0")
        node.write_bytes(b"")
        node.chmod(0o000)
        with an_account_the_mode_binds() as account:
            refused = probe_node(str(node))
            gone = probe_node(str(node.with_name("video9")))
        node.chmod(0o666)
        with an_account_the_mode_binds():
            opened = probe_node(str(node))
    assert refused is not None and refused("en") == (
        f"permission denied on camera {node}: add account {account} to group video: sudo "
        f"usermod -aG video {account}, then restart the kiosk: sudo systemctl restart "
        "checkpoint-kiosk")
    assert gone is not None and gone("en") == f"no camera at {node.with_name('video9')}"
    assert opened is None


def test_a_node_that_opens_but_is_no_camera_names_the_program_that_may_hold_it():
    """/dev/null opens, as a camera another program streams from does (V4L2 refuses the
    second stream later, with EBUSY), and OpenCV cannot capture from it: said so, with the
    command naming who holds the node, not a question about the video group."""
    with pytest.raises(DeviceError) as refused:
        open_capture("/dev/null")
    assert refused.value.text("en") == (
        "/dev/null opens but the camera does not start: another program may be using it (see "
        "which: fuser -v /dev/null; the running kiosk: sudo systemctl stop checkpoint-kiosk), "
        "or it is not the camera's capture node (kiosk devices lists the cameras)")


def test_the_video_writer_used_here_round_trips_frames(tmp_path):
    """The fixture's premise: OpenCV can write and read MJPG .avi on this machine."""
    path = tmp_path / "one.avi"
    assert write_video(path, [Shot(2)], size=(320, 240)) == 2
    capture = cv2.VideoCapture(str(path))
    ok, frame = capture.read()
    capture.release()
    assert ok and frame.shape == (240, 320, 3)


def test_the_technicians_check_command_prints_scans_and_saves_an_outlined_preview(
        queue_video, tmp_path, capsys):
    from kiosk.devices.camera import main

    path, _, _ = queue_video
    snapshot = tmp_path / "check.jpg"
    assert main([str(path), "--seconds", "30", "--snapshot", str(snapshot)]) == 0
    out = capsys.readouterr().out
    assert "quét / scan ]Q2 '079203004567||Lê Văn Tú|" in out
    assert "ended: 1280×720, capture" in out
    picture = cv2.imread(str(snapshot))
    assert picture is not None and picture.shape == (720, 1280, 3)


def test_the_check_command_prints_an_enrolment_code_without_its_secret(tmp_path, capsys):
    """A technician tries the camera with the kiosk's enrolment QR at hand: the check shows
    the code as `kiosk devices watch` does (``ckenrol:1?…``), never its one-time secret, and
    words the camera's state in each language."""
    from kiosk.devices.camera import main

    path = tmp_path / "enrolment.avi"
    write_video(path, [Shot(3), Shot(8, qr_image(ENROLMENT, scale=4)), Shot(3)],
                size=(640, 480))
    assert main([str(path), "--seconds", "30"]) == 0
    out = capsys.readouterr().out
    assert "quét / scan ]Q1 'ckenrol:1?…'" in out
    assert ENROLMENT_SECRET not in out
    assert "đã kết thúc: 640×480, thu " in out and " / ended: 640×480, capture " in out


def test_the_statistics_keep_an_enrolment_code_without_its_secret(tmp_path):
    """What the camera hands the screens as its last payload never holds the secret."""
    path = tmp_path / "enrolment.avi"
    write_video(path, [Shot(3), Shot(8, qr_image(ENROLMENT, scale=4)), Shot(3)],
                size=(640, 480))
    scans, device = run_camera(path)
    assert [scan.payload for scan in scans] == [ENROLMENT.encode()]  # the kiosk enrols by it
    assert device.stats().last_payload == "ckenrol:1?…".encode()


def test_the_check_command_fails_clearly_without_a_camera(capsys):
    from kiosk.devices.camera import main

    assert main(["/dev/video97", "--seconds", "2"]) == 1
    assert "không tìm thấy camera tại /dev/video97" in capsys.readouterr().err


def test_a_stream_that_stops_sending_raises_a_bilingual_device_error():
    """An MJPEG camera on 127.0.0.1 sends 40 frames, then its connection drops."""
    camera = MjpegServer(place(background(640, 480), qr_image(URL, scale=4)))
    try:
        device = CameraDevice(camera_options(source=camera.url))
        scans: list[Scan] = []
        with pytest.raises(DeviceError,
                           match=r"camera ngừng gửi hình .* / camera stopped sending frames"):
            device.run(scans.append, threading.Event())
    finally:
        camera.close()
    assert [s.payload for s in scans] == [URL.encode()]
    assert device.stats().state == "error"


def test_a_stream_that_hangs_open_turns_the_camera_to_error_and_its_rate_falls():
    """The camera sends 40 frames, then nothing, its connection still open (a frozen IP
    camera or USB link). Before: "running" at ~30 fps with a frozen picture for 30 s."""
    camera = MjpegServer(place(background(640, 480), qr_image(URL, scale=4)), hang=True)
    device = CameraDevice(camera_options(source=camera.url))
    failure: list[DeviceError] = []

    def work() -> None:
        try:
            device.run(lambda scan: None, threading.Event())
        except DeviceError as exc:
            failure.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        wait_until(lambda: device.stats().frames_seen > 0)
        running = device.stats()
        wait_until(lambda: device.stats().state == "error", seconds=20)
    finally:
        camera.close()
    thread.join(10)
    stopped = device.stats()
    assert running.state == "running"
    assert stopped.problem == ("camera ngừng gửi hình (bị rút ra?) / "
                               "camera stopped sending frames (unplugged?)")
    assert [str(exc) for exc in failure] == [stopped.problem]
    assert stopped.capture_fps < 20  # 30 fps while frames came: it falls when they stop


def reconnections(camera: MjpegServer, seconds: float = 30.0) -> tuple[list[Scan], list[str]]:
    """The scans and states of a supervised camera reading ``camera`` until it has connected
    twice and given two scans."""
    scans: list[Scan] = []
    states: list[str] = []
    supervisor = Supervisor([camera_options(source=camera.url)],
                            scans.append, backoff_initial=0.2, backoff_max=0.2)
    supervisor.subscribe(lambda status: states.append(status.state))
    supervisor.start()
    try:
        wait_until(lambda: camera.connections >= 2 and len(scans) >= 2, seconds=seconds)
    finally:
        supervisor.stop()
        camera.close()
    return scans, states


def test_the_supervisor_reconnects_a_stream_that_hung():
    """Every connection hangs after 40 frames: each hang is an error, and each reconnect
    brings the picture and the scans back."""
    scans, states = reconnections(MjpegServer(
        place(background(640, 480), qr_image(PCCOVID, scale=4)), hang=True), seconds=25)
    assert [s.payload for s in scans[:2]] == [PCCOVID.encode()] * 2
    assert ERROR in states and states.index(ERROR) < len(states) - 1


def test_the_supervisor_reconnects_a_camera_that_comes_back():
    """Each connection is a new device object: the same code seen after a reconnect counts
    again (the person is still there, but the kiosk cannot know; the pipeline's duplicate
    window handles it)."""
    scans, states = reconnections(MjpegServer(
        place(background(640, 480), qr_image(PCCOVID, scale=4))))
    assert [s.payload for s in scans[:2]] == [PCCOVID.encode()] * 2
    assert ERROR in states and states.index(ERROR) < len(states) - 1


# --- one card held through a reflection -----------------------------------------------------

HELD = [Shot(20, qr_image(CCCD, scale=4)), Shot(20, qr_image(CCCD, scale=4), glare_sigma=120),
        Shot(20, qr_image(CCCD, scale=4))]
"""One person holds one card still for 6 s (10 fps); for the middle 2 s it is tilted into the
lamp's glare: still in view, unreadable."""
WALKS_AWAY = [Shot(20, qr_image(CCCD, scale=4)), Shot(40), Shot(20, qr_image(CCCD, scale=4))]
"""The same person shows the card for 2 s, walks out of view for 4 s, and shows it again."""


@pytest.fixture(scope="module")
def held_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("held") / "held.avi"
    write_video(path, HELD)
    return path


@pytest.fixture(scope="module")
def walks_away_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("away") / "away.avi"
    write_video(path, WALKS_AWAY)
    return path


def test_the_glare_frames_really_are_unreadable_with_the_code_still_located(held_video):
    """Guards the tests below: the 2 s of glare are longer than the default absence, and in
    them the decoder finds the code where it was read but cannot read it."""
    assert camera_options().absent_ms < 2000
    capture = cv2.VideoCapture(str(held_video))
    decoder = FrameDecoder()
    results = []
    while (frame := capture.read())[0]:
        results.append(decoder.decode(frame[1]))
    capture.release()
    read_at = results[19].readings[0].outline
    glare = results[20:40]
    assert all(r.readings == () and r.candidates for r in glare)
    centre = np.mean(read_at, axis=0)
    assert all(cv2.pointPolygonTest(np.array(r.candidates[0], np.float32),
                                    tuple(map(float, centre)), False) > 0 for r in glare)


def test_a_card_held_through_two_seconds_of_glare_is_one_scan(held_video):
    scans, _ = run_camera(held_video)
    assert [s.payload for s in scans] == [CCCD.encode()]


def test_a_card_that_walks_away_and_comes_back_is_seen_again(walks_away_video):
    scans, _ = run_camera(walks_away_video)
    assert [s.payload for s in scans] == [CCCD.encode()] * 2


def record(make_pipeline, video: Path, policy: str) -> tuple[list[str], list[str]]:
    """The video through the camera and the pipeline into a real SQLite store → (what the
    officer was shown for each scan, the statuses of the entries written)."""
    pipeline = make_pipeline(duplicate_policy=policy)
    device = CameraDevice(camera_options(lane="in", source=str(video)))
    shown: list[str] = []
    device.run(lambda scan: shown.append(pipeline.submit(scan).status), threading.Event())
    return shown, [entry["status"] for entry in pipeline.store.entries()]


@pytest.mark.parametrize("policy", ["warn", "allow", "block"])
def test_a_card_held_through_glare_is_one_entry_whatever_the_duplicate_policy(
        make_pipeline, held_video, policy):
    """Before: a second scan, shown as a duplicate (warned or blocked) for a person who
    showed the card once, or with duplicates allowed, one person counted in twice."""
    assert record(make_pipeline, held_video, policy) == (["accepted"], ["accepted"])


@pytest.mark.parametrize(("policy", "statuses"), [("warn", ["accepted", "duplicate"]),
                                                  ("allow", ["accepted", "accepted"])])
def test_a_person_who_walks_away_and_returns_is_recorded_again(
        make_pipeline, walks_away_video, policy, statuses):
    """A second visit is the pipeline's duplicate window's to judge (300 s by default), not
    hidden by the camera."""
    assert record(make_pipeline, walks_away_video, policy) == (statuses, statuses)


class FreezingCapture:
    """A USB camera whose read blocks for good after ``frames`` frames (a cheap UVC camera's
    freeze: no timeout, no error), made of a real video file read at 30 fps; ``thaw``
    lets every blocked read end, as unplugging it does. What the capture thread uses of a
    cv2.VideoCapture: ``read`` and ``release``."""

    def __init__(self, path: Path, frames: int, thaw: threading.Event) -> None:
        self.capture = cv2.VideoCapture(str(path))
        self.left = frames
        self.thaw = thaw
        self.released = threading.Event()

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.left == 0:
            self.thaw.wait()
            return False, None
        self.left -= 1
        time.sleep(1 / 30)
        ok, image = self.capture.read()
        if not ok:  # a live view never ends: the recording again
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self.capture.read()
        return ok, image

    def release(self) -> None:
        self.capture.release()
        self.released.set()


def test_a_usb_camera_whose_read_blocks_for_good_is_reported_reopened_and_closes_in_time(
        tmp_path, caplog):
    """The capture thread's read does not return (no stream's read timeout; OpenCV's V4L2
    read gives up only after OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT, 10 s, a driver's never): the
    decode thread's watchdog ends the run with the camera's bilingual "stopped sending"
    while the read is still blocked, the supervisor shows it and opens the camera again —
    scans come back; a stop while a read is blocked returns well within the window's close
    wait, the blocked read left to end (and release the camera) when it can."""
    from kiosk.ui.bridge import CLOSE_WAIT_SECONDS

    path = tmp_path / "card.avi"
    write_video(path, [Shot(30, qr_image(CCCD, scale=4))])
    thaw = threading.Event()
    captures: list[FreezingCapture] = []

    class FreezingCamera(CameraDevice):
        def _open(self) -> tuple[FreezingCapture, bool]:
            captures.append(FreezingCapture(path, frames=20, thaw=thaw))
            return captures[-1], False

    scans: list[Scan] = []
    statuses: list[DeviceStatus] = []
    supervisor = Supervisor([camera_options(source="/dev/video0")], scans.append,
                            backoff_initial=0.2, backoff_max=0.2, factory=FreezingCamera)
    supervisor.subscribe(statuses.append)
    supervisor.start()
    try:
        wait_until(lambda: len(captures) >= 2 and len(scans) >= 2, seconds=30)
        failed = next(s for s in statuses if s.state == ERROR)
        assert failed.reason_in(None) == ("camera ngừng gửi hình (bị rút ra?) / "
                                          "camera stopped sending frames (unplugged?)")
        assert not captures[0].released.is_set()  # its read still blocked: not released under it
        wait_until(lambda: captures[-1].left == 0, seconds=10)  # the new one froze too
        started = time.monotonic()
        supervisor.stop()
        took = time.monotonic() - started
    finally:
        thaw.set()
        supervisor.stop()  # again, when a wait above timed out: a no-op otherwise
    assert [s.payload for s in scans[:2]] == [CCCD.encode()] * 2
    assert took < CLOSE_WAIT_SECONDS, took
    assert "still reading" not in caplog.text  # the device thread ended, not given up on
    assert [s.state for s in supervisor.status()] == ["stopped"]
    wait_until(lambda: all(c.released.is_set() for c in captures), seconds=10)
