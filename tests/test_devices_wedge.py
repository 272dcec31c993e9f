"""Keyboard wedge timing: a scanner's key burst vs a person typing into the window."""

from __future__ import annotations

import pytest

from kiosk.devices.stream import CUT_WAIT, Decoded
from kiosk.devices.wedge import WedgeDetector

PCCOVID = "******012345|NGUYEN VAN AN|1990-**-**|0|162979388586171100|<1<00<0912345678"


def type_burst(detector: WedgeDetector, keys: list[str], t: float, step: float
               ) -> tuple[list[Decoded], float]:
    """Keys ``step`` seconds apart from ``t``; the scans they completed, and when the next
    key would come."""
    out: list[Decoded] = []
    for key in keys:
        out += detector.feed(key, t)
        t += step
    return out, t


def payloads(scans: list[Decoded]) -> list[bytes]:
    assert all(not scan.cut for scan in scans), scans
    return [scan.payload for scan in scans]


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    out, _ = type_burst(detector, [*"8938505974194", "enter"], 10.0, 0.004)
    assert payloads(out) == [b"8938505974194"]
    assert detector.take_typed() == []


def test_a_person_typing_slowly_is_not_a_scan_and_keys_are_handed_back() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    out, _ = type_burst(detector, [*"1234", "Enter"], 10.0, 0.180)
    assert out == []
    assert detector.take_typed() == ["1", "2", "3", "4", "Enter"]


def test_a_short_fast_burst_is_below_min_length() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=4)
    out, _ = type_burst(detector, ["o", "k", "\r"], 10.0, 0.01)
    assert out == [] and detector.take_typed() == ["o", "k", "\r"]


def test_terminator_none_ends_the_burst_when_the_keys_stop() -> None:
    detector = WedgeDetector(max_gap_ms=40, min_length=4, terminator="none")
    out, t = type_burst(detector, list("SO-2024-001"), 5.0, 0.005)
    assert out == [] and detector.flush(t) == []
    assert payloads(detector.flush(t + 0.1)) == [b"SO-2024-001"]


def test_a_scan_right_after_a_person_typed_is_still_recognised() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=4)
    out, t = type_burst(detector, ["a"], 1.0, 0.3)
    scan, _ = type_burst(detector, [*"ABCDEF", "enter"], t, 0.003)
    assert payloads(out + scan) == [b"ABCDEF"]
    assert detector.take_typed() == ["a"]


def test_tab_terminator_and_enter_inside_the_payload() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=2, terminator="tab")
    out, _ = type_burst(detector, ["A", "B", "Return", "C", "\t"], 1.0, 0.002)
    assert payloads(out) == [b"AB\rC"]


def test_vietnamese_text_from_the_window_is_encoded_as_utf8() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=3)
    out, _ = type_burst(detector, [*"Trần", "enter"], 1.0, 0.002)
    assert payloads(out) == ["Trần".encode()]



# -- a scanner stalling mid-code (the rule of the other decoders: kiosk.devices.stream) -----
HEAD, REST = PCCOVID[:40], PCCOVID[40:]


def test_a_scanner_stalling_mid_code_is_held_and_the_rest_joins_it_into_one_scan() -> None:
    """A 300 ms stall (a busy USB hub) was a gap: the head went to the focused field as a
    person's typing and the rest was recorded as a code of its own."""
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    out, t = type_burst(detector, list(HEAD), 10.0, 0.004)
    for quiet in (0.06, 0.2, 0.3):  # the window's idle timer, while the line is quiet
        assert detector.flush(t + quiet) == []
    assert detector.take_typed() == []  # held, not handed to a field
    assert detector.pending() == HEAD.encode()
    rest, _ = type_burst(detector, [*REST, "enter"], t + 0.3, 0.004)
    assert payloads(out + rest) == [PCCOVID.encode()]
    assert detector.take_typed() == []


def test_a_stall_past_the_wait_cuts_the_head_refused_never_typed() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    out, t = type_burst(detector, list(HEAD), 10.0, 0.004)
    last_key = t - 0.004
    assert out == [] and detector.flush(last_key + CUT_WAIT) == []
    [head] = detector.flush(last_key + CUT_WAIT + 0.01)
    assert (head.payload, head.cut, head.ended_by) == (HEAD.encode(), "gap", "gap")
    assert detector.take_typed() == [] and detector.pending() == b""


def test_the_rest_of_a_cut_code_is_refused_as_its_tail_however_short() -> None:
    """The rest of a stalled code, arriving after the head was cut, is no code of its own:
    recorded, it was an "other" entry (accepted, green); even two characters and Enter
    are the scanner's, never a person's Enter submitting the form in the focus."""
    for rest in (REST, "78"):
        detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
        _, t = type_burst(detector, list(PCCOVID[:-len(rest)]), 10.0, 0.004)
        [head] = detector.flush(t + CUT_WAIT + 0.01)
        assert head.cut == "gap"
        [tail], _ = type_burst(detector, [*rest, "enter"], t + CUT_WAIT + 0.2, 0.004)
        assert (tail.payload, tail.cut) == (rest.encode(), "tail")
        assert detector.take_typed() == []


def test_after_a_cut_the_next_persons_scan_is_whole_and_a_persons_key_theirs() -> None:
    """Once "scan again" is on the card, the officer's keys and the next scan are not the
    rest of the cut code."""
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    _, t = type_burst(detector, list(HEAD), 10.0, 0.004)
    [head] = detector.flush(t + CUT_WAIT + 0.01)
    assert head.cut == "gap"
    out, t = type_burst(detector, ["a"], t + CUT_WAIT + 0.1, 0.2)  # a person, at once
    assert out == [] and detector.flush(t) == [] and detector.take_typed() == ["a"]
    _, t = type_burst(detector, list(HEAD), 20.0, 0.004)
    [head] = detector.flush(t + CUT_WAIT + 0.01)
    scan, _ = type_burst(detector, [*PCCOVID, "enter"], t + 2 * CUT_WAIT + 0.1, 0.004)
    assert payloads(scan) == [PCCOVID.encode()]


def test_a_persons_keys_are_handed_back_after_the_gap_not_the_cut_wait() -> None:
    """Only a scanner's burst (8 keys at its pace: wedge.HOLD_MIN) waits for its
    terminator: a person's keys reach the field as promptly as before, 7 rolled over too."""
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    t = 10.0
    for key in "Binh":
        assert detector.feed(key, t) == []
        assert detector.flush(t + 0.051) == [] and detector.take_typed() == [key]
        t += 0.15
    rollover = list("Thi Bin")  # keys rolled over fast, 10 ms apart
    out, t = type_burst(detector, rollover, t, 0.01)
    assert out == [] and detector.flush(t - 0.01 + 0.051) == []
    assert detector.take_typed() == rollover


def test_a_fast_typist_types_everything_none_of_it_held_or_cut() -> None:
    """Four keys 40 ms apart and four more at a person's pace were held, joined and refused
    as one cut code: only the Enter reached the field."""
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    fast, t = type_burst(detector, list("1234"), 10.0, 0.04)
    slow, t = type_burst(detector, [*"5678", "enter"], t - 0.04 + 0.2, 0.2)
    assert fast + slow + detector.flush(t + 1.0) == []
    assert detector.take_typed() == [*"12345678", "enter"]


def test_a_held_burst_followed_at_a_persons_pace_is_cut_and_the_keys_are_the_persons() -> None:
    """A scanner stalled and the officer types: their keys are not the rest of its code (the
    lot was refused as cut), only the burst is."""
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    _, t = type_burst(detector, list(HEAD), 10.0, 0.004)
    stalled = t - 0.004
    assert detector.feed("a", stalled + 0.3) == []  # within the wait: maybe the rest
    [head] = detector.flush(stalled + 0.3 + 0.051)  # no key follows at a scanner's pace
    assert (head.payload, head.cut, head.last_t) == (HEAD.encode(), "gap", stalled)
    assert detector.take_typed() == ["a"]
    person, t = type_burst(detector, [*"bc", "enter"], stalled + 0.5, 0.15)
    assert person == [] and detector.take_typed() == ["b", "c", "enter"]


def test_a_stall_just_before_the_enter_is_one_scan_again_and_its_enter_is_swallowed() -> None:
    """The code sent, its Enter 0.6 s later: the code is cut (refused), and the Enter was
    typed — into the manual-entry form, submitting a walk-in's half-filled form. It is the
    scanner's, swallowed: no second "scan again" for an empty tail either."""
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    _, t = type_burst(detector, list(PCCOVID), 10.0, 0.004)
    stalled = t - 0.004
    [head] = detector.flush(stalled + CUT_WAIT + 0.01)
    assert (head.payload, head.cut) == (PCCOVID.encode(), "gap")
    assert detector.feed("enter", stalled + 0.6) == [] and detector.flush(stalled + 2) == []
    assert detector.take_typed() == []
    assert detector.feed("enter", stalled + 3) == []  # later: the officer's own Enter
    assert detector.take_typed() == ["enter"]


def test_with_terminator_none_the_gap_alone_ends_a_scan_never_cut() -> None:
    """No terminator to wait for: the gap is the scanner's only end (framed by timing)."""
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="none")
    _, t = type_burst(detector, list(HEAD), 10.0, 0.004)
    assert payloads(detector.flush(t + 0.06)) == [HEAD.encode()]
    assert payloads(type_burst(detector, list(REST), t + 0.2, 0.004)[0]
                    + detector.flush(t + 1.0)) == [REST.encode()]

def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        WedgeDetector(terminator="space")
    with pytest.raises(ValueError):
        WedgeDetector(max_gap_ms=0)
