"""Stand-in clips for the demo post, synthesized from fixed seeds and encoded by LAME.

The post's recordings are not ours to publish, so each clip is made here: plucked
strings (Karplus–Strong) strumming alt-rock power chords for the guitar sections, the
"AI" takes of the same progressions played differently, and a bowed, vibrato fiddle
for the bluegrass solos. Each clip is encoded the way authors' uploads come: CBR, VBR
with and without a Xing header, mono and stereo, 44.1 and 48 kHz, ID3v2.3 and v2.4,
one with cover art. Run by `make demo`; clips already made are kept.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
CLIP_FOLDER = HERE / "content" / "music-generation"
ALBUM = "Human vs AI (demo stand-ins)"

NOTE = {
    "E2": 82.41,
    "F#2": 92.50,
    "G2": 98.00,
    "A2": 110.00,
    "B2": 123.47,
    "C3": 130.81,
    "D3": 146.83,
    "E3": 164.81,
    "F#3": 185.00,
    "G3": 196.00,
    "A3": 220.00,
    "B3": 246.94,
    "C4": 261.63,
    "D4": 293.66,
    "E4": 329.63,
    "F#4": 369.99,
    "G4": 392.00,
    "A4": 440.00,
    "B4": 493.88,
    "C5": 523.25,
    "D5": 587.33,
    "E5": 659.25,
    "F#5": 739.99,
    "G5": 783.99,
}


@dataclass(frozen=True)
class Clip:
    name: str
    title: str
    seconds: float
    rate: int
    channels: int
    encoding: list[str]
    id3: int
    cover: bool = False
    make: str = "riff"
    options: dict = field(default_factory=dict)


# Progressions as (root, beats). Power chords are root + fifth + octave.
VERSE = [("E2", 4), ("C3", 4), ("G2", 4), ("D3", 4)]
PRECHORUS = [("A2", 4), ("C3", 4), ("D3", 8)]
CHORUS = [("G2", 4), ("D3", 4), ("E2", 4), ("C3", 4)]
BRIDGE = [("C3", 2), ("D3", 2), ("E2", 4), ("A2", 2), ("B2", 2), ("E2", 4)]

CBR_192 = ["-c:a", "libmp3lame", "-b:a", "192k"]
CBR_128 = ["-c:a", "libmp3lame", "-b:a", "128k"]
CBR_160 = ["-c:a", "libmp3lame", "-b:a", "160k"]
VBR_XING = ["-c:a", "libmp3lame", "-q:a", "2"]
VBR_NO_HEADER = ["-c:a", "libmp3lame", "-q:a", "3", "-write_xing", "0"]

CLIPS = [
    Clip(
        "actual-verse",
        "Actual verse",
        21.3,
        44100,
        2,
        CBR_192,
        4,
        options={"progression": VERSE, "bpm": 96, "pattern": "8ths", "seed": 1},
    ),
    Clip(
        "actual-prechorus",
        "Actual pre-chorus",
        14.6,
        44100,
        2,
        VBR_XING,
        3,
        options={"progression": PRECHORUS, "bpm": 104, "pattern": "push", "seed": 2},
    ),
    Clip(
        "actual-chorus",
        "Actual chorus",
        27.8,
        48000,
        2,
        VBR_NO_HEADER,
        4,
        options={"progression": CHORUS, "bpm": 112, "pattern": "8ths", "seed": 3},
    ),
    Clip(
        "actual-bridge",
        "Actual bridge",
        17.2,
        44100,
        1,
        CBR_128,
        3,
        options={"progression": BRIDGE, "bpm": 90, "pattern": "arpeggio", "seed": 4},
    ),
    Clip(
        "ai-prechorus",
        "AI pre-chorus",
        14.1,
        44100,
        2,
        VBR_NO_HEADER,
        3,
        options={
            "progression": PRECHORUS,
            "bpm": 104,
            "pattern": "quarters",
            "seed": 12,
            "ai": True,
        },
    ),
    Clip(
        "ai-chorus",
        "AI chorus",
        29.1,
        48000,
        2,
        VBR_XING,
        4,
        cover=True,
        options={
            "progression": CHORUS,
            "bpm": 112,
            "pattern": "quarters",
            "seed": 13,
            "ai": True,
        },
    ),
    Clip(
        "ai-bridge",
        "AI bridge",
        18.1,
        44100,
        1,
        CBR_160,
        4,
        options={
            "progression": BRIDGE,
            "bpm": 90,
            "pattern": "8ths",
            "seed": 14,
            "ai": True,
        },
    ),
    Clip(
        "actual-solo",
        "Actual guitar and violin solos",
        42.6,
        44100,
        2,
        VBR_XING,
        3,
        make="solos",
        options={"seed": 21},
    ),
    Clip(
        "ai-solo",
        "AI-generated violin solo",
        40.3,  # a fair fight for the blind test: the same rate and channels, and
        44100,  # a length within 10 % of the player's take
        2,
        VBR_NO_HEADER,
        4,
        make="fiddle",
        options={"seed": 31, "ai": True},
    ),
]


def pluck(
    freq: float,
    seconds: float,
    rate: int,
    rng: np.random.Generator,
    brightness: float = 0.5,
    decay: float = 0.996,
) -> np.ndarray:
    """One plucked string (Karplus–Strong), one period of the delay line at a time."""
    period = max(2, int(rate / freq))
    total = int(seconds * rate)
    blocks = total // period + 2
    out = np.empty(blocks * period)
    line = rng.uniform(-1, 1, period)
    line = np.convolve(line, [brightness, 1 - brightness], mode="same")
    for block in range(blocks):
        out[block * period : (block + 1) * period] = line
        line = decay * 0.5 * (line + np.roll(line, 1))
    return out[:total]


def power_chord(
    root: str, seconds: float, rate: int, rng: np.random.Generator, palm_mute: bool
) -> np.ndarray:
    base = NOTE[root]
    decay = 0.985 if palm_mute else 0.997
    tone = sum(
        pluck(f, seconds, rate, rng, decay=decay)
        for f in (base, base * 1.4983, base * 2)
    )
    return np.tanh(2.5 * tone) * 0.6  # a little overdrive, as alt-rock guitars have


def riff(clip: Clip, rng: np.random.Generator) -> np.ndarray:
    opts = clip.options
    beat = 60 / opts["bpm"]
    rate = clip.rate
    total = int(clip.seconds * rate)
    out = np.zeros(total + rate)
    position = 0.0
    steps = {
        "8ths": [0.5] * 8,
        "quarters": [1.0] * 4,
        "push": [0.75, 0.75, 0.5, 1.0, 0.5, 0.5],
        "arpeggio": [0.5] * 8,
    }[opts["pattern"]]
    while position < clip.seconds:
        for root, beats in opts["progression"]:
            length = beats * beat
            t = 0.0
            for index, step in enumerate(steps * (beats // 4 or 1)):
                if t >= length or position + t >= clip.seconds:
                    break
                at = int((position + t) * rate)
                note = step * beat
                if opts["pattern"] == "arpeggio":
                    freq_root = NOTE[root] * (1, 1.5, 2, 3)[index % 4]
                    sound = pluck(freq_root, note * 3, rate, rng, decay=0.996) * 0.7
                else:
                    sound = power_chord(
                        root, note * 1.5, rate, rng, palm_mute=index % 2 == 1
                    )
                accent = 1.0 if index % 4 == 0 else 0.75
                if opts.get("ai"):
                    at += int(rng.normal(0, 0.012) * rate)  # wobbly timing
                    accent *= rng.uniform(0.6, 1.0)
                at = max(at, 0)
                end = min(at + len(sound), len(out))
                out[at:end] += accent * sound[: end - at]
                t += step * beat
            position += length
            if position >= clip.seconds:
                break
    out = out[:total]
    if opts.get("ai"):
        out = ai_artifacts(out, rate, rng)
    return out


def ai_artifacts(signal: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """What generated audio often sounds like: smeared highs and a faint hiss."""
    kernel = np.hanning(int(rate * 0.0015))
    smeared = np.convolve(signal, kernel / kernel.sum(), mode="same")
    hiss = rng.normal(0, 0.01, len(signal))
    warble = 1 + 0.04 * np.sin(2 * np.pi * 0.7 * np.arange(len(signal)) / rate)
    return smeared * warble + hiss


FIDDLE_TUNE = [
    ("G4", 0.5),
    ("A4", 0.25),
    ("B4", 0.25),
    ("D5", 0.5),
    ("B4", 0.5),
    ("A4", 0.25),
    ("G4", 0.25),
    ("E4", 0.5),
    ("D4", 1.0),
    ("G4", 0.5),
    ("B4", 0.5),
    ("D5", 0.25),
    ("E5", 0.25),
    ("D5", 0.5),
    ("B4", 0.5),
    ("A4", 0.5),
    ("G4", 1.0),
]
GUITAR_TUNE = [
    ("G3", 0.25),
    ("A3", 0.25),
    ("B3", 0.25),
    ("D4", 0.25),
    ("E4", 0.5),
    ("D4", 0.25),
    ("B3", 0.25),
    ("A3", 0.5),
    ("G3", 0.5),
    ("B3", 0.25),
    ("D4", 0.25),
    ("G4", 0.5),
    ("E4", 0.25),
    ("D4", 0.25),
    ("B3", 0.5),
    ("A3", 0.25),
    ("G3", 0.75),
]


def bowed(
    freq: float, seconds: float, rate: int, rng: np.random.Generator
) -> np.ndarray:
    """A fiddle-like note: bright sawtooth, vibrato, bow noise and a soft attack."""
    t = np.arange(int(seconds * rate)) / rate
    vibrato = 1 + 0.006 * np.sin(2 * np.pi * 5.5 * t) * np.clip(t * 4, 0, 1)
    phase = np.cumsum(freq * vibrato / rate)
    saw = 2 * (phase % 1) - 1
    body = np.convolve(saw, [0.3, 0.4, 0.3], mode="same")
    envelope = np.minimum(1, t / 0.05) * np.minimum(1, (seconds - t) / 0.04 + 0.01)
    return (body + rng.normal(0, 0.03, len(t))) * envelope * 0.35


def melody(tune, beat: float, seconds: float, rate: int, rng, voice) -> np.ndarray:
    out = np.zeros(int(seconds * rate) + rate)
    position = 0.0
    while position < seconds:
        for note, beats in tune:
            length = beats * beat
            at = int(position * rate)
            if at >= int(seconds * rate):
                break
            sound = voice(
                NOTE[note], length * (1.8 if voice is pluck_note else 1.0), rate, rng
            )
            end = min(at + len(sound), len(out))
            out[at:end] += sound[: end - at]
            position += length
    return out[: int(seconds * rate)]


def pluck_note(freq, seconds, rate, rng):
    return pluck(freq, seconds, rate, rng, brightness=0.2, decay=0.995) * 0.8


def strum_backing(seconds: float, rate: int, bpm: float, rng) -> np.ndarray:
    clip = Clip(
        "backing",
        "",
        seconds,
        rate,
        1,
        [],
        3,
        options={
            "progression": [("G2", 4), ("C3", 4), ("D3", 4), ("G2", 4)],
            "bpm": bpm,
            "pattern": "quarters",
        },
    )
    return np.tanh(riff(clip, rng)) * 0.25


def solos(clip: Clip, rng: np.random.Generator) -> np.ndarray:
    """A bluegrass break: guitar solo first, fiddle solo second, over a strum."""
    rate, half = clip.rate, clip.seconds / 2
    beat = 60 / 140
    guitar = melody(GUITAR_TUNE, beat, half, rate, rng, pluck_note)
    fiddle = melody(FIDDLE_TUNE, beat, clip.seconds - half, rate, rng, bowed)
    lead = np.concatenate([guitar, fiddle])
    backing = strum_backing(clip.seconds, rate, 140, rng)
    mix = lead[: len(backing)] + backing[: len(lead)]
    # Mastered as the generated take is (a fair fight for the blind test): at one
    # loudness their peaks are then within 3 dB, and the leak audit has nothing
    # to name. Left raw, the take's 16 dB crest would tell it from the AI's 10.
    return np.tanh(2 * mix / (np.max(np.abs(mix)) or 1))


def fiddle(clip: Clip, rng: np.random.Generator) -> np.ndarray:
    beat = 60 / 140
    lead = melody(
        FIDDLE_TUNE[::-1], beat, clip.seconds, rate=clip.rate, rng=rng, voice=bowed
    )
    backing = strum_backing(clip.seconds, clip.rate, 140, rng)
    return ai_artifacts(lead + backing[: len(lead)], clip.rate, rng)


def render(clip: Clip) -> np.ndarray:
    rng = np.random.default_rng(clip.options.get("seed", 0))
    maker = {"riff": riff, "solos": solos, "fiddle": fiddle}[clip.make]
    mono = maker(clip, rng)
    fade = np.minimum(1, np.arange(len(mono))[::-1] / (0.3 * clip.rate))
    mono = mono * fade
    # Peaks well below full scale (so nothing clips once encoded), and the levels
    # real takes have: a generated master is loud, a player's take has headroom.
    gain = 10 ** ((0 if clip.options.get("ai") else -6) / 20)
    mono = 0.7 * gain * mono / (np.max(np.abs(mono)) or 1)
    if clip.channels == 1:
        return mono[:, None]
    # A touch of width: the right channel a few milliseconds late.
    delay = int(0.004 * clip.rate)
    right = np.concatenate([np.zeros(delay), mono[:-delay]])
    return np.stack([mono, 0.85 * right + 0.15 * mono], axis=1)


def cover_art(folder: Path) -> Path:
    path = folder / "cover.png"
    if not path.exists():
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "gradients=s=300x300:c0=0x2b1055:c1=0xd53369:seed=5:d=1",
                "-frames:v",
                "1",
                str(path),
            ],
            check=True,
        )
    return path


def encode(clip: Clip, samples: np.ndarray, target: Path, work: Path) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    args = [
        "ffmpeg",
        "-v",
        "error",
        "-y",
        "-f",
        "s16le",
        "-ar",
        str(clip.rate),
        "-ac",
        str(clip.channels),
        "-i",
        "pipe:0",
    ]
    if clip.cover:
        args += [
            "-i",
            str(cover_art(work)),
            "-map",
            "0:a",
            "-map",
            "1:v",
            "-c:v",
            "png",
            "-disposition:v",
            "attached_pic",
        ]
    args += [
        *clip.encoding,
        "-id3v2_version",
        str(clip.id3),
        "-metadata",
        f"title={clip.title} (stand-in)",
        "-metadata",
        "artist=Stand-in",
        "-metadata",
        f"album={ALBUM}",
        "-metadata",
        "date=2025",
        "-metadata",
        "comment=Synthesized for the demo",
        str(target),
    ]
    subprocess.run(args, input=pcm, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="remake every clip")
    parser.add_argument("--out", type=Path, default=CLIP_FOLDER)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = HERE / "cache"
    work.mkdir(exist_ok=True)
    for clip in CLIPS:
        target = args.out / f"{clip.name}.mp3"
        if target.exists() and target.stat().st_size and not args.force:
            continue
        encode(clip, render(clip), target, work)
        print(f"made {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
