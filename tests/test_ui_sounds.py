"""The four cue sounds shipped in kiosk/ui/sounds/: short, distinct, and exactly what
scripts/make_sounds.py generates (so the committed WAVs can always be rebuilt)."""

from __future__ import annotations

import importlib.util
import wave

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
