#!/usr/bin/env python3
"""Makes the three demo music samples (Ogg Vorbis) from scratch.

No recording was available for the demo content, so these are synthesised:
original short melodies in the manner of a two-string dombra (a plucked
Karplus-Strong string playing the tune over a strummed drone a fourth below),
not recordings or transcriptions of any performance. Needs python3 and
`oggenc` (Debian package vorbis-tools). Deterministic: same script, same audio.

    python3 content/music/make-samples.py   # rewrites content/music/*.ogg
"""
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


def freq(name: str) -> float:
    """'A4' -> 440.0, 'F#3' -> ..."""
    pitch, octave = name[:-1], int(name[-1])
    midi = 12 * (octave + 1) + NOTE[pitch]
    return 440.0 * 2 ** ((midi - 69) / 12)


def pluck(f: float, seconds: float, rng: random.Random, bright: float = 0.5) -> list:
    """Karplus-Strong plucked string."""
    period = max(2, int(RATE / f))
    buf = [rng.uniform(-1, 1) for _ in range(period)]
    # soften the attack a little: a dombra's gut strings are not steel
    for _ in range(1):
        buf = [(buf[i] + buf[i - 1]) / 2 for i in range(period)]
    out = []
    n = int(seconds * RATE)
    decay = 0.996 if f < 200 else 0.994
    i = 0
    for _ in range(n):
        cur = buf[i]
        nxt = buf[(i + 1) % period]
        buf[i] = decay * (bright * cur + (1 - bright) * nxt)
        out.append(cur)
        i = (i + 1) % period
    return out


def render(tune, tempo: float, drone: str, seed: int, total: float) -> list:
    rng = random.Random(seed)
    beat = 60.0 / tempo
    track = [0.0] * int(total * RATE + RATE)
    t = 0.0
    while t < total - 1.5:
        for note, beats in tune:
            if t >= total - 1.5:
                break
            start = int(t * RATE)
            dur = beats * beat
            if note != "-":
                for k, s in enumerate(pluck(freq(note), dur + 0.8, rng)):
                    if start + k < len(track):
                        track[start + k] += 0.55 * s
            # strummed drone on every beat, the open lower string
            b = 0.0
            while b < dur - 1e-9:
                ds = int((t + b) * RATE)
                for k, s in enumerate(pluck(freq(drone), beat * 0.9, rng)):
                    if ds + k < len(track):
                        track[ds + k] += 0.25 * s
                b += beat
            t += dur
    # fade out over the last second
    n = len(track)
    fade = RATE
    for k in range(fade):
        track[n - fade + k] *= 1 - k / fade
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
    # (file, tune as (note, beats), tempo bpm, drone, seed, seconds)
    ("steppe-morning.ogg",
     [("D4", 1), ("E4", 1), ("G4", 2), ("A4", 1), ("G4", 1), ("E4", 2),
      ("D4", 1), ("E4", 0.5), ("G4", 0.5), ("A4", 1), ("C5", 1), ("A4", 4)],
     132, "A2", 1, 30.0),
    ("caravan-road.ogg",
     [("A4", 0.5), ("A4", 0.5), ("C5", 1), ("D5", 1), ("C5", 0.5), ("A4", 0.5),
      ("G4", 1), ("E4", 1), ("G4", 0.5), ("A4", 0.5), ("E4", 1), ("D4", 2)],
     150, "D3", 2, 28.0),
    ("evening-song.ogg",
     [("E4", 2), ("G4", 1), ("A4", 1), ("B4", 3), ("A4", 1),
      ("G4", 1), ("E4", 1), ("D4", 2), ("E4", 4)],
     96, "B2", 3, 32.0),
]

if __name__ == "__main__":
    for name, tune, tempo, drone, seed, seconds in SAMPLES:
        write_ogg(render(tune, tempo, drone, seed, seconds), name)
        print(f"wrote {name} ({os.path.getsize(os.path.join(HERE, name)) // 1024} KiB)")
