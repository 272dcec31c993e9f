"""Frame → payload bytes (byte-exact, ECI-aware, multi-pass) and sightings → scans, tested on
generated QR images, real photos from the shared test data and synthetic timelines."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from camera_support import (
    CCCD,
    PCCOVID,
    QR_PHOTOS,
    VIETNAMESE_NAMES,
    background,
    place,
    qr_image,
    wavy,
)
from pyzbar import pyzbar

from kiosk.devices.frames import (
    BLIND_TRIES,
    FRAME_RESCUE_MS,
    UNREAD_HOLD_MS,
    FrameDecoder,
    FrameResult,
    RescueBudget,
    SightingFilter,
)
from kiosk.devices.qr_decoders import apply_eci, read_zbar, read_zxing


def payloads(readings) -> list[bytes]:
    return [r.payload for r in readings]


# --- byte-exact reading -------------------------------------------------------------------

@pytest.mark.parametrize("eci", [False, True], ids=["no-eci", "eci-utf8"])
def test_zxing_reads_twenty_vietnamese_names_to_their_utf8_bytes(eci):
    for name in VIETNAMESE_NAMES:
        assert payloads(read_zxing(qr_image(name, eci=eci)).readings) == [name.encode()]


@pytest.mark.parametrize("eci", [False, True], ids=["no-eci", "eci-utf8"])
def test_zbar_in_binary_mode_reads_the_same_names_to_their_utf8_bytes(eci):
    for name in VIETNAMESE_NAMES:
        assert payloads(read_zbar(qr_image(name, eci=eci))) == [name.encode()]


def test_why_pyzbars_own_decode_is_not_used_it_garbles_utf8_without_eci():
    """zbar's text mode guesses an encoding for these bytes (which one depends on zbar's
    version) and hands back its re-encoding; the binary pass above returns the bytes."""
    (garbled,) = pyzbar.decode(qr_image("Lê Văn Tú"))
    assert garbled.data != "Lê Văn Tú".encode()
    assert "Lê Văn Tú" not in garbled.data.decode("utf-8", "replace")


def test_a_declared_latin1_or_cyrillic_code_becomes_utf8():
    """An ECI declaration says what the bytes mean, so the payload is transcoded to UTF-8."""
    latin = read_zxing(qr_image("José Müller", encoding="latin-1", eci=True)).readings
    assert payloads(latin) == ["José Müller".encode()]
    assert latin[0].symbology == "]Q2"
    cyrillic = read_zxing(qr_image("Привет Мир", encoding="cp1251", eci=True)).readings
    assert payloads(cyrillic) == ["Привет Мир".encode()]


def test_without_eci_nothing_is_guessed_raw_bytes_stay_raw():
    latin = read_zxing(qr_image("José", encoding="latin-1")).readings
    assert payloads(latin) == [b"Jos\xe9"] and latin[0].symbology == "]Q1"
    binary = bytes([0, 1, 0x80, 0xFF, 0xFE, 0x5C])
    assert payloads(read_zxing(qr_image(binary)).readings) == [binary]
    assert payloads(read_zbar(qr_image(binary))) == [binary]


def test_backslashes_survive_the_eci_protocol():
    text = "C:\\kiosk\\Hà Nội\\"
    assert payloads(read_zxing(qr_image(text, eci=True)).readings) == [text.encode()]
    assert payloads(read_zxing(qr_image(text)).readings) == [text.encode()]


def test_apply_eci_splits_segments_and_keeps_what_cannot_be_transcoded():
    stream = b"]Q2\\000003Jos\xe9 \\000026L\xc3\xaa \\\\ \\000020\xff\xff"
    # Latin-1 → UTF-8; UTF-8 as is; the escaped backslash is one; bad Shift-JIS kept raw.
    assert apply_eci(stream) == ("Jos\u00e9 Lê \\ ".encode() + b"\xff\xff", "]Q2")
    assert apply_eci(b"]Q1a\\000003b") == (b"a\\000003b", "]Q1")  # no ECI: backslash is data


def test_decoder_faults_are_misses_not_crashes():
    """zxing raises on an empty or 4-channel image; a pass turns that into 'nothing read'."""
    assert read_zxing(np.zeros((0, 0), np.uint8)).readings == []
    assert read_zxing(np.zeros((8, 8, 4), np.uint8)).candidates == []
    assert FrameDecoder("zbar").decode(np.zeros((1, 1), np.uint8)).readings == ()


# --- the multi-pass frame decoder -----------------------------------------------------------

def photos() -> list[tuple[str, np.ndarray, bytes]]:
    found = []
    for text in sorted(QR_PHOTOS.glob("*/*.txt")):
        image_path = next(p for p in text.parent.glob(text.stem + ".*") if p.suffix != ".txt")
        found.append((f"{text.parent.name}/{image_path.name}",
                      cv2.imread(str(image_path), cv2.IMREAD_COLOR), text.read_bytes()))
    return found


@pytest.mark.skipif(not QR_PHOTOS.is_dir(), reason="shared test data not present")
def test_on_real_photos_the_default_pipeline_reads_more_and_never_a_wrong_text():
    decoder = FrameDecoder(rescue_ms_per_s=None)  # a still photo: no frame-rate budget
    single = multi = wrong = 0
    for name, image, expected in photos():
        first = payloads(read_zxing(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)).readings)
        got = payloads(decoder.decode(image).readings)
        single += expected in first
        multi += expected in got
        wrong += bool(got) and expected not in got
        assert set(first) <= set(got), name  # the second passes never lose a first read
    assert wrong == 0
    assert multi > single


@pytest.mark.skipif(not QR_PHOTOS.is_dir(), reason="shared test data not present")
def test_real_photos_at_webcam_frame_sizes_decode_without_errors_or_wrong_texts():
    """Scaled to fill 640×480 and 1280×720, the photos make zxing report odd candidates
    (e.g. "invalid symbol size", which has no version): all are handled, none misread."""
    decoder = FrameDecoder(rescue_ms_per_s=None)
    read = 0
    for _, image, expected in photos():
        for width, height in ((640, 480), (1280, 720)):
            factor = max(width / image.shape[1], height / image.shape[0])
            big = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
            got = payloads(decoder.decode(big[:height, :width]).readings)
            assert not got or got == [expected]
            read += got == [expected]
    assert read > 0


def test_a_frame_without_a_code_costs_one_whole_frame_pass_and_none_without_budget():
    scene = background(1280, 720)
    result = FrameDecoder().decode(scene)
    assert result.readings == () and result.candidates == () and result.rescue_passes == 1
    assert FrameDecoder(rescue_ms_per_s=0).decode(scene).rescue_passes == 0
    now = [0.0]
    starved = FrameDecoder(rescue_ms_per_s=1.0, clock=lambda: now[0])
    starved.budget.spend(5.0)  # spent: no second pass until it refills
    assert starved.decode(scene).rescue_passes == 0


def test_a_soft_code_with_no_visible_finder_patterns_is_read_by_the_sharpened_pass():
    frame = cv2.GaussianBlur(place(background(640, 480), qr_image(PCCOVID, scale=3)), (0, 0),
                             1.5)
    first = read_zxing(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert first.readings == [] and first.candidates == []
    assert payloads(FrameDecoder().decode(frame).readings) == [PCCOVID.encode()]


def noisy(frame: np.ndarray, seed: int) -> np.ndarray:
    """The frame as a webcam delivers it again and again: fresh sensor noise (σ 2.5) each time."""
    noise = np.random.default_rng(seed).normal(0, 2.5, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


class LiveDecoder:
    """A camera's decoder with a second between frames, so its budget is always full: what
    is left out below is left out by choice, not for want of time."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.decoder = FrameDecoder(clock=lambda: time.perf_counter() + self.seconds)

    def decode(self, frame: np.ndarray) -> FrameResult:
        self.seconds += 1.0
        return self.decoder.decode(frame)


def test_an_empty_scene_costs_the_whole_frame_passes_for_a_while_not_every_frame():
    """Nobody in front of the kiosk for 40 frames: the sharpened and the upscaled passes each
    fail BLIND_TRIES times on the scene, then only the plain pass runs (before: one pass
    every frame)."""
    decoder, scene = LiveDecoder(), background(1280, 720)
    tried = 2 * BLIND_TRIES
    assert [decoder.decode(noisy(scene, i)).rescue_passes for i in range(40)] == (
        [1] * tried + [0] * (40 - tried))


def test_a_code_that_appears_in_a_settled_scene_gets_the_whole_frame_passes_again():
    """A soft code only the sharpened pass reads, shown after the empty scene settled; then
    the person leaves and the empty scene is tried again."""
    decoder, scene = LiveDecoder(), background(640, 480)
    tried = 2 * BLIND_TRIES
    assert [decoder.decode(noisy(scene, i)).rescue_passes for i in range(tried + 4)][-1] == 0
    held = cv2.GaussianBlur(place(scene, qr_image(PCCOVID, scale=3)), (0, 0), 1.5)
    read = [payloads(decoder.decode(noisy(held, i)).readings) for i in range(50, 53)]
    assert [PCCOVID.encode()] in read
    gone = [decoder.decode(noisy(scene, i)).rescue_passes for i in range(60, 64 + tried)]
    assert gone == [1] * tried + [0] * 4


def hard_frame() -> np.ndarray:
    """A code whose first zxing pass finds the symbol but fails its checksum: small, washed
    out (low contrast, a bright haze) and a little soft, as on a phone screen under a lamp."""
    code = qr_image(CCCD, scale=2).astype(np.float32)
    washed = (code * 0.18 + 150).astype(np.uint8)
    frame = place(background(640, 480), washed, tilt_deg=8)
    return cv2.GaussianBlur(frame, (0, 0), 0.8)


def test_second_passes_only_run_within_their_time_budget():
    frame = hard_frame()
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    first = read_zxing(gray)
    assert first.readings == [] and first.candidates, "fixture must give an unread candidate"
    assert FrameDecoder(rescue_ms_per_s=0).decode(frame).rescue_passes == 0
    unlimited = FrameDecoder(rescue_ms_per_s=None).decode(frame)
    assert unlimited.rescue_passes >= 1
    assert payloads(unlimited.readings) == [CCCD.encode()]


def test_a_code_zxing_reports_twice_at_one_place_gets_one_chain_of_second_passes():
    """A finger over a third of a PC-Covid code: zxing-cpp finds it, fails its checksum and
    reports it twice, outlines 3 px apart. One code, one chain of second passes (before: two,
    each with its 18–30 ms flattening) and one "hold still" outline in the preview."""
    code = qr_image(PCCOVID, scale=2)
    height, width = code.shape
    cv2.ellipse(code, (int(width * 0.55), height), (width // 4, int(height * 0.45)), 0, 0, 360,
                90, -1)
    frame = place(background(640, 480), code)
    first = read_zxing(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert first.readings == [] and len(first.candidates) == 2, "fixture: one code, twice"
    decoder = FrameDecoder(rescue_ms_per_s=None)  # every pass runs, nothing cut short
    result = decoder.decode(frame)
    assert result.readings == ()
    assert result.rescue_passes == len(decoder.region_passes)
    assert result.candidates == (first.candidates[0].outline,)


def test_a_frame_starts_no_second_pass_once_it_has_spent_its_share():
    """The second's budget is not one frame's: after FRAME_RESCUE_MS the frame is handed on
    (before, one hard code took 200–285 ms of a frame: a frozen preview), and the next frame
    may spend its share again."""
    now = [0.0]
    budget = RescueBudget(250.0, clock=lambda: now[0], ms_per_frame=FRAME_RESCUE_MS)
    budget.new_frame()
    budget.spend(FRAME_RESCUE_MS - 1)
    assert budget.available()  # 1 ms left of the frame's share: one more pass may start
    budget.spend(20.0)  # that pass took 20 ms
    assert not budget.available() and budget.tokens > 200
    now[0] = 1 / 30
    budget.new_frame()
    assert budget.available()


def test_a_chain_cut_short_goes_on_where_it_stopped_in_the_next_frame():
    """Room for one second pass a frame: a code on a rippled surface, which only the third
    pass (flattening) reads, is read in the third frame, not never (each frame starting
    again with the first pass)."""
    frame = place(background(640, 480), wavy(qr_image(CCCD, scale=4), 1.2, 1.5), tilt_deg=5)
    seconds = [0.0]
    decoder = FrameDecoder(clock=lambda: time.perf_counter() + seconds[0],
                           rescue_ms_per_frame=1e-6)  # any pass takes longer than this
    results = []
    for _ in range(3):
        seconds[0] += 1.0  # a full second's budget: only the frame's share limits
        results.append(decoder.decode(frame))
    assert [r.rescue_passes for r in results] == [1, 1, 1]
    assert [[(p.payload, p.decoder) for p in r.readings] for r in results] == [
        [], [], [(CCCD.encode(), "zxing-flattened")]]


def test_the_budget_refills_with_time_and_holds_at_most_one_seconds_worth():
    now = [0.0]
    budget = RescueBudget(100.0, clock=lambda: now[0])
    assert budget.available()
    budget.spend(150.0)
    assert not budget.available()  # 100 − 150 < 0
    now[0] = 0.4  # +40 ms, a later frame
    budget.new_frame()
    assert not budget.available()
    now[0] = 0.6  # +20 ms more: 10 ms left
    budget.new_frame()
    assert budget.available()
    now[0] = 60.0
    budget.available()
    assert budget.tokens == 100.0


@pytest.mark.parametrize("text, waves", [(CCCD, 1.5), (CCCD, 2.5), (PCCOVID, 1.5)])
def test_a_code_on_a_rippled_surface_is_flattened_and_read(text, waves):
    """The grid drifts ±0.3 module from any single perspective: zxing finds the code but
    its checksum fails; measuring the drift from the module edges and undoing it reads it."""
    scale = 4
    frame = place(background(640, 480), wavy(qr_image(text, scale=scale), 0.3 * scale, waves),
                  tilt_deg=5)
    first = read_zxing(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert first.readings == [] and first.candidates[0].modules is not None
    readings = FrameDecoder(rescue_ms_per_s=None).decode(frame).readings
    assert [(r.payload, r.decoder) for r in readings] == [(text.encode(), "zxing-flattened")]


# --- one person, one scan -------------------------------------------------------------------

def timeline(sightings: SightingFilter, frames: list[tuple[float, list[bytes]]]) -> list[bytes]:
    emitted = []
    for t_ms, seen in frames:
        emitted += sightings.update(seen, t_ms)
    return emitted


def every(step: float, start: float, stop: float, seen: list[bytes]):
    t = start
    while t < stop:
        yield t, seen
        t += step


A, B = b"001099012345|...|A", b"079203004567|...|B"


def test_a_code_held_for_three_seconds_is_one_scan():
    frames = list(every(33, 0, 3000, [A]))
    assert timeline(SightingFilter(absent_ms=1500), frames) == [A]


def test_a_short_dropout_does_not_split_a_sighting_but_a_real_absence_does():
    frames = [*every(33, 0, 1000, [A]), *every(33, 1000, 1400, []),  # 400 ms unreadable
              *every(33, 1400, 2000, [A]), *every(33, 2000, 4000, []),  # gone for 2 s
              *every(33, 4000, 4500, [A])]
    assert timeline(SightingFilter(absent_ms=1500), frames) == [A, A]


def test_two_codes_in_view_are_two_scans_in_frame_order():
    frames = [(0, [B, A]), (33, [A, B]), (66, [A, B])]
    assert timeline(SightingFilter(absent_ms=500), frames) == [B, A]


def test_confirm_frames_drops_a_one_frame_false_read():
    frames = [(0, [A]), (33, []), (66, []), *every(33, 3000, 3200, [B])]
    assert timeline(SightingFilter(absent_ms=1000, confirm_frames=3), frames) == [B]


def test_confirm_frames_counts_sightings_across_short_dropouts():
    frames = [(0, [A]), (33, []), (66, [A]), (99, []), (132, [A])]
    assert timeline(SightingFilter(absent_ms=100, confirm_frames=3), frames) == [A]
    assert timeline(SightingFilter(absent_ms=50, confirm_frames=3), frames) == []


HERE = ((500, 300), (700, 300), (700, 500), (500, 500))
NEAR = ((520, 310), (690, 305), (705, 510), (510, 495))
"""The same code outlined as a finder-pattern candidate: a little off, as the decoder has it."""
ELSEWHERE = ((900, 100), (1000, 100), (1000, 200), (900, 200))


def held(sightings: SightingFilter, start: float, stop: float, unread: tuple) -> list[bytes]:
    """A read, then frames in which only ``unread`` outlines are found, then a read again."""
    emitted = sightings.update([A], start, outlines={A: HERE})
    for t_ms, _ in every(33, start + 33, stop, []):
        emitted += sightings.update([], t_ms, unread=unread)
    return emitted + sightings.update([A], stop, outlines={A: HERE})


def test_a_code_unreadable_where_it_was_read_is_still_in_view():
    """Glare or a tilt for 3 s, twice the absence: the decoder still outlines the code."""
    assert held(SightingFilter(absent_ms=1500), 0, 3000, (NEAR,)) == [A]


def test_an_unreadable_code_elsewhere_does_not_keep_a_sighting():
    assert held(SightingFilter(absent_ms=1500), 0, 3000, (ELSEWHERE,)) == [A, A]


def test_an_unreadable_code_that_never_goes_keeps_a_sighting_only_for_a_while():
    """A QR-like print on the wall where cards are held: the card shown there counts again
    once it has been unread for UNREAD_HOLD_MS plus the absence, not never."""
    assert held(SightingFilter(absent_ms=1500), 0, UNREAD_HOLD_MS, (NEAR,)) == [A]
    assert held(SightingFilter(absent_ms=1500), 0, UNREAD_HOLD_MS + 1600, (NEAR,)) == [A, A]


def test_duplicates_within_one_frame_count_once():
    assert SightingFilter(absent_ms=100).update([A, A, A], 0) == [A]
