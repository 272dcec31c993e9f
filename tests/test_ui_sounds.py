"""The four cue sounds shipped in kiosk/ui/sounds/: short, distinct, and exactly what
scripts/make_sounds.py generates (so the committed WAVs can always be rebuilt)."""

from __future__ import annotations

import importlib.util
import wave

import numpy as np
from ui_support import ROOT

from kiosk.ui.cues import CUES, SOUND_DIR


def load_generator():
    spec = importlib.util.spec_from_file_location("make_sounds", ROOT / "scripts/make_sounds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_cue_is_a_short_mono_16_bit_wav_and_no_two_sound_alike():
    frames = {}
    for cue in CUES:
        with wave.open(str(SOUND_DIR / f"{cue}.wav")) as sound:
            assert (sound.getnchannels(), sound.getsampwidth()) == (1, 2)
            seconds = sound.getnframes() / sound.getframerate()
            assert 0.1 < seconds < 0.4, f"{cue}: {seconds:.2f} s"
            frames[cue] = sound.readframes(sound.getnframes())
    assert len(set(frames.values())) == len(CUES)


def test_the_committed_wavs_are_the_generators_output(tmp_path):
    for path in load_generator().write_all(tmp_path):
        assert path.read_bytes() == (SOUND_DIR / path.name).read_bytes(), path.name


SMALL_SPEAKER_HZ = 300
"""Below this a kiosk's small speaker (a 7" panel's, a monitor's) plays little."""


def through_a_small_speaker(cue: str) -> float:
    """The cue's loudness (RMS, dB of full scale) as a speaker playing nothing below
    :data:`SMALL_SPEAKER_HZ` gives it."""
    with wave.open(str(SOUND_DIR / f"{cue}.wav")) as sound:
        samples = np.frombuffer(sound.readframes(sound.getnframes()), "<i2") / 32768.0
        rate = sound.getframerate()
    spectrum = np.fft.rfft(samples)
    spectrum[np.fft.rfftfreq(len(samples), 1 / rate) < SMALL_SPEAKER_HZ] = 0
    played = np.fft.irfft(spectrum, len(samples))
    return float(20 * np.log10(np.sqrt(np.mean(played ** 2))))


def test_the_refusal_is_heard_as_loud_as_the_accepted_chime_through_a_small_speaker():
    """At a noisy gate the refusal is the cue that must be heard. Its low buzz (196 Hz) is
    mostly below what a kiosk's speaker plays; it came out 10.6 dB under the chime (-20.3
    against -9.7 dBFS): half as loud."""
    chimes = {cue: through_a_small_speaker(cue) for cue in ("entry", "exit")}
    buzz = through_a_small_speaker("error")
    assert all(buzz >= chime for chime in chimes.values()), (buzz, chimes)


HEARD_GAP_SECONDS = 0.03
"""A silence the ear hears between two notes over a crowd's noise: 20 ms is heard as one
gliding note."""


def notes(cue: str) -> list[float]:
    """The length of each note of the cue, in seconds: sound between silences of at least
    :data:`HEARD_GAP_SECONDS`."""
    with wave.open(str(SOUND_DIR / f"{cue}.wav")) as sound:
        samples = np.frombuffer(sound.readframes(sound.getnframes()), "<i2")
        rate = sound.getframerate()
    gap = round(HEARD_GAP_SECONDS * rate)
    quiet = np.abs(samples) < 33  # -60 dBFS
    lengths, start, run = [], None, 0
    for index, silent in enumerate(quiet):
        run = run + 1 if silent else 0
        if not silent and start is None:
            start = index
        if start is not None and (run == gap or index == len(quiet) - 1):
            lengths.append((index - run + 1 - start) / rate)
            start = None
    return lengths


def test_let_through_ask_and_stop_each_have_a_rhythm_of_their_own():
    """Over a crowd a note's pitch is lost before its rhythm: an accepted entry (rising) and
    an amber "ask for an ID" (two flat beeps) were both two notes, and the accepted chime's
    20 ms gap made it one note, as the refusal's buzz. Now: accepted two notes, amber three,
    the refusal one long buzz, longer than any note of the others."""
    rhythm = {cue: notes(cue) for cue in CUES}
    assert [len(rhythm[cue]) for cue in CUES] == [2, 2, 3, 1], rhythm
    assert rhythm["error"][0] > 2 * max(max(rhythm[cue]) for cue in CUES if cue != "error")
