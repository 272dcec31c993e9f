#!/usr/bin/env python3
"""Generate the officer screen's four cue sounds into kiosk/ui/sounds/ (committed WAVs).

Each cue must be told apart by ear in a noisy queue without looking, by its rhythm first:
entry is two notes rising, exit two falling, a duplicate (amber) three short flat beeps, an
error one long low buzz, as loud as the others through a small speaker (see SQUARE_PEAK).
All are short (< 0.4 s) so the next person's scan is never drowned out. Run again after
changing a recipe:

    .venv/bin/python scripts/make_sounds.py
"""

from __future__ import annotations

import argparse
import math
import struct
import wave
from pathlib import Path

from kiosk.commandline import examples

RATE = 22050
FADE_SECONDS = 0.006
"""Short fade in/out on every tone so speakers do not click."""
SQUARE_PEAK = 1.6
"""The low buzz's peak, of a tone's ``volume``. A kiosk's small speaker plays little below
300 Hz: of a 196 Hz square wave it plays the overtones (588 Hz, 980 Hz, …), a fifth of its
power. At 0.45 the refusal — the cue that must be heard — came out of such a speaker 10.6 dB
below the accepted chime (-20.3 against -9.7 dBFS above 300 Hz): half as loud, lost at a
noisy gate. At 1.6 (0.8 of full scale) its overtones are as loud as the chime; whole, on a
speaker that plays its 196 Hz too, it is the loudest cue."""

# cue → list of (frequency Hz or 0 for silence, seconds, waveform)
RECIPES: dict[str, list[tuple[float, float, str]]] = {
    "entry": [(660, 0.09, "sine"), (0, 0.04, "sine"), (990, 0.14, "sine")],
    "exit": [(990, 0.09, "sine"), (0, 0.04, "sine"), (660, 0.14, "sine")],
    "duplicate": [(740, 0.06, "sine"), (0, 0.05, "sine"), (740, 0.06, "sine"),
                  (0, 0.05, "sine"), (740, 0.06, "sine")],
    "error": [(196, 0.36, "square")],
}
"""Over a crowd's noise a note's pitch is lost before its rhythm: accepted is two notes
(a gap of 40 ms; 20 ms was heard as one), amber ("ask", "already scanned") three short
beeps, a refusal one long buzz."""


def tone(frequency: float, seconds: float, waveform: str, volume: float = 0.5) -> list[int]:
    count = int(RATE * seconds)
    fade = int(RATE * FADE_SECONDS)
    samples = []
    for i in range(count):
        if frequency == 0:
            samples.append(0)
            continue
        phase = math.sin(2 * math.pi * frequency * i / RATE)
        value = (1.0 if phase >= 0 else -1.0) * SQUARE_PEAK if waveform == "square" else phase
        envelope = min(1.0, i / fade, (count - 1 - i) / fade) if fade else 1.0
        samples.append(int(32767 * volume * value * envelope))
    return samples


def render(recipe: list[tuple[float, float, str]]) -> bytes:
    samples: list[int] = []
    for frequency, seconds, waveform in recipe:
        samples += tone(frequency, seconds, waveform)
    return struct.pack(f"<{len(samples)}h", *samples)


def write_all(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for cue, recipe in RECIPES.items():
        path = directory / f"{cue}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(render(recipe))
        written.append(path)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], **examples(
        ".venv/bin/python scripts/make_sounds.py   # into kiosk/ui/sounds",
        ".venv/bin/python scripts/make_sounds.py --out /tmp/sounds"))
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent.parent / "kiosk/ui/sounds")
    args = parser.parse_args()
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
