#!/usr/bin/env python3
"""Makes the second demo embassy's two music samples (Ogg Vorbis) from scratch.

Solmara and its music are invented (see ../CREDITS.md), so these are
synthesised: original short tunes for an imagined *sorimba*, a bamboo
xylophone played by two musicians — one the tune, the other an interlocking
ostinato below it — over a frame drum. Each bar is a few decaying partials
(modal synthesis, the inharmonic 1 : 3.9 : 9.2 of a tuned bar) with a mallet
click; the drum is a falling low tone with a slap. Not recordings or
transcriptions of any performance or tradition. Needs python3 and `oggenc`
(Debian package vorbis-tools). Deterministic: same script, same audio.

    python3 examples/second-embassy/music/make-samples.py   # rewrites the *.ogg beside it
"""
import cmath
import math
import os
import random
import struct
import subprocess
import tempfile
import wave

RATE = 44100
HERE = os.path.dirname(os.path.abspath(__file__))
NOTE = {n: i for i, n in enumerate("C C# D D# E F F# G G# A A# B".split())}

# (frequency ratio, loudness, decay per second) of a bamboo bar's modes
BAR_MODES = [(1.0, 1.0, 3.2), (3.93, 0.30, 9.0), (9.2, 0.10, 18.0)]


def freq(name: str) -> float:
    """'A4' -> 440.0, 'F#3' -> ..."""
    pitch, octave = name[:-1], int(name[-1])
    midi = 12 * (octave + 1) + NOTE[pitch]
    return 440.0 * 2 ** ((midi - 69) / 12)


def add(track: list, start: int, samples) -> None:
    for k, s in enumerate(samples):
        if start + k >= len(track):
            break
        track[start + k] += s


def bar(f: float, rng: random.Random, loud: float, seconds: float = 1.4) -> list:
    """One struck bamboo bar: decaying modes (rotating phasors) plus a mallet click."""
    n = int(seconds * RATE)
    out = [0.0] * n
    for ratio, amp, decay in BAR_MODES:
        fm = f * ratio
        if fm > RATE / 2.5:
            continue
        step = cmath.exp(complex(-decay, 2 * math.pi * fm) / RATE)
        z = complex(0.0, amp * loud)
        for k in range(n):
            out[k] += z.imag
            z *= step
    # the mallet: a short, soft burst of filtered noise
    lp = 0.0
    for k in range(int(0.012 * RATE)):
        lp += 0.3 * (rng.uniform(-1, 1) - lp)
        out[k] += 0.25 * loud * lp * (1 - k / (0.012 * RATE))
    return out


def drum(rng: random.Random, loud: float) -> list:
    """A frame drum: a low tone falling from 120 to 70 Hz, and a slap."""
    n = int(0.45 * RATE)
    out = []
    phase = 0.0
    lp = 0.0
    for k in range(n):
        t = k / RATE
        f = 70 + 50 * math.exp(-t * 25)
        phase += 2 * math.pi * f / RATE
        lp += 0.15 * (rng.uniform(-1, 1) - lp)
        out.append(loud * (math.sin(phase) * math.exp(-t * 9) + 0.6 * lp * math.exp(-t * 45)))
    return out


def render(tune, ostinato, drums, tempo: float, seed: int, total: float) -> list:
    """Loops the tune, the second player's ostinato and the drum pattern until `total` s."""
    rng = random.Random(seed)
    beat = 60.0 / tempo
    track = [0.0] * int((total + 1.5) * RATE)
    end = total - 1.5
    for part, level in ((tune, 0.55), (ostinato, 0.32)):
        t = 0.0
        while t < end:
            for note, beats in part:
                if t >= end:
                    break
                if note != "-":
                    loud = level * rng.uniform(0.85, 1.0)
                    add(track, int(t * RATE), bar(freq(note), rng, loud))
                t += beats * beat
    bar_beats, hits = drums
    t = 0.0
    while t < end:
        for at, strength in hits:
            add(track, int((t + at * beat) * RATE), drum(rng, 0.5 * strength))
        t += bar_beats * beat
    # fade out over the last second of the piece
    n = int(total * RATE)
    fade = RATE
    for k in range(len(track)):
        if k >= n:
            track[k] = 0.0
        elif k >= n - fade:
            track[k] *= (n - k) / fade
    track = track[:n]
    peak = max(abs(x) for x in track) or 1.0
    return [x / peak * 0.8 for x in track]


def write_ogg(samples: list, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wav = os.path.join(tmp, "s.wav")
        with wave.open(wav, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(b"".join(struct.pack("<h", int(x * 32767)) for x in samples))
        subprocess.run(["oggenc", "-Q", "-q", "3", "--serial", "1", "-o", os.path.join(HERE, name), wav], check=True)


SAMPLES = [
    # (file, tune, ostinato (second player), drum (beats per bar, [(beat, strength)]), tempo, seed, seconds)
    # "Lagoon at Dawn": G major pentatonic, the ostinato answering between the tune's notes.
    ("lagoon-at-dawn.ogg",
     [("D5", 1), ("B4", 0.5), ("A4", 0.5), ("G4", 1), ("A4", 1),
      ("B4", 0.5), ("D5", 0.5), ("E5", 1), ("D5", 2),
      ("E5", 0.5), ("D5", 0.5), ("B4", 1), ("A4", 0.5), ("G4", 0.5), ("E4", 1),
      ("G4", 1), ("A4", 0.5), ("B4", 0.5), ("G4", 2)],
     [("-", 0.5), ("G3", 0.5), ("-", 0.5), ("D4", 0.5), ("-", 0.5), ("B3", 0.5), ("-", 0.5), ("D4", 0.5)],
     (4, [(0, 1.0), (1.5, 0.5), (2, 0.8), (3, 0.5), (3.5, 0.4)]),
     126, 11, 30.0),
    # "Returning Boats": a slower swaying tune in D (D F G A C), the drum in threes.
    ("returning-boats.ogg",
     [("A4", 1.5), ("C5", 0.5), ("A4", 1), ("G4", 1.5), ("F4", 0.5), ("D4", 1),
      ("F4", 1), ("G4", 1), ("A4", 1), ("C5", 1.5), ("D5", 0.5), ("C5", 1),
      ("A4", 1.5), ("G4", 0.5), ("F4", 1), ("G4", 1), ("F4", 1), ("D4", 1), ("D4", 3)],
     [("D3", 1), ("A3", 1), ("-", 1), ("C4", 1), ("A3", 1), ("-", 1)],
     (3, [(0, 1.0), (2, 0.6), (2.5, 0.35)]),
     92, 12, 34.0),
]

if __name__ == "__main__":
    for name, tune, ostinato, drums, tempo, seed, seconds in SAMPLES:
        write_ogg(render(tune, ostinato, drums, tempo, seed, seconds), name)
        print(f"wrote {name} ({os.path.getsize(os.path.join(HERE, name)) // 1024} KiB)")
