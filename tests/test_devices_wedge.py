"""Keyboard wedge timing: a scanner's key burst vs a person typing into the window."""

from __future__ import annotations

import pytest

from kiosk.devices.wedge import WedgeDetector


def type_burst(detector: WedgeDetector, keys: list[str], t: float, step: float
               ) -> tuple[list[bytes], float]:
    out: list[bytes] = []
    for key in keys:
        out += detector.feed(key, t)
        t += step
    return out, t


def test_a_fast_burst_ending_in_enter_is_a_scan() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=4, terminator="enter")
    out, _ = type_burst(detector, [*"8938505974194", "enter"], 10.0, 0.004)
    assert out == [b"8938505974194"]
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
    assert detector.flush(t + 0.1) == [b"SO-2024-001"]


def test_a_scan_right_after_a_person_typed_is_still_recognised() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=4)
    out, t = type_burst(detector, ["a"], 1.0, 0.3)
    scan, _ = type_burst(detector, [*"ABCDEF", "enter"], t, 0.003)
    assert out + scan == [b"ABCDEF"]
    assert detector.take_typed() == ["a"]


def test_tab_terminator_and_enter_inside_the_payload() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=2, terminator="tab")
    out, _ = type_burst(detector, ["A", "B", "Return", "C", "\t"], 1.0, 0.002)
    assert out == [b"AB\rC"]


def test_vietnamese_text_from_the_window_is_encoded_as_utf8() -> None:
    detector = WedgeDetector(max_gap_ms=50, min_length=3)
    out, _ = type_burst(detector, [*"Trần", "enter"], 1.0, 0.002)
    assert out == ["Trần".encode()]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        WedgeDetector(terminator="space")
    with pytest.raises(ValueError):
        WedgeDetector(max_gap_ms=0)
