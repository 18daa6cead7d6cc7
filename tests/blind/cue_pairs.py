"""Cue pairs: the same generated music as two takes that differ in one property
each that is not the music (a DC offset, dual-mono, digital silence against a
noise floor, clipping, a room-tone lead-in, a peak, a sample rate, a bandwidth, a
loudness, an earlier lossy encode), written by a real encoder (FFmpeg's FLAC).
Which take is "AI" is fixed per cue, as a classifier would learn it."""

from __future__ import annotations

import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

RATE = 44_100
SECONDS = 6.0


def music(rate: int = RATE, seed: int = 7) -> np.ndarray:
    """Two channels of notes with harmonics and a bright noise "air", a pause of
    digital silence in the middle, panned a little apart (so it has a side)."""
    rng = np.random.default_rng(seed)
    frames = int(SECONDS * rate)
    out = np.zeros((2, frames))
    t = np.arange(int(0.4 * rate)) / rate
    envelope = np.minimum(1, t / 0.01) * np.exp(-3 * t)
    for note in range(14):
        start = int(note * 0.4 * rate)
        if 2.4 <= note * 0.4 < 3.2:
            continue  # the pause: digital silence
        pitch = 220 * 2 ** (rng.integers(0, 12) / 12)
        tone = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 12))
        air = rng.standard_normal(len(t)) * 0.05 * np.exp(-30 * t)
        pan = rng.uniform(0.3, 0.7)
        end = min(frames, start + len(t))
        chunk = ((tone + air) * envelope)[: end - start]
        out[0, start:end] += chunk * (1 - pan)
        out[1, start:end] += chunk * pan
    out *= 0.5 / np.abs(out).max()
    out[:, np.abs(out).max(axis=0) < 1e-6] = 0.0  # exact zeros where nothing sounds
    return out


def _noise(frames: int, level_db: float, seed: int) -> np.ndarray:
    from scipy.signal import lfilter

    white = np.random.default_rng(seed).standard_normal((2, frames))
    dark = lfilter([0.03], [1, -0.97], white, axis=1)  # room tone is darker
    return dark / np.sqrt(np.mean(dark**2)) * 10 ** (level_db / 20)


def _dc(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return a, a + 0.019


def _dual_mono(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mid = a.mean(axis=0)
    return a, np.stack((mid, mid))


def _digital_silence(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The human take carries its room's noise; the machine's is digitally clean."""
    return a + _noise(a.shape[1], -55, 1), a


def _clipping(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return a, np.clip(a * 3, -0.6, 0.6)


def _room_tone(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lead = _noise(RATE, -50, 2)
    return np.concatenate((lead, a), axis=1)[:, : a.shape[1] + RATE], a


def _peak(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    spiked = a.copy()
    spiked[:, int(1.05 * RATE)] = 0.99  # one sample: a click
    return a, spiked


def _bandwidth(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.signal import butter, sosfiltfilt

    sections = butter(8, 11_000, fs=RATE, output="sos")
    return a, sosfiltfilt(sections, a, axis=1)


def _loudness(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return a, a * 10 ** (-6 / 20)


#: cue -> (human, AI); the sample rate and the lossy encode are made by FFmpeg.
PAIRS: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "dc": _dc,
    "dual-mono": _dual_mono,
    "digital-silence": _digital_silence,
    "clipping": _clipping,
    "room-tone": _room_tone,
    "peak": _peak,
    "bandwidth": _bandwidth,
    "loudness": _loudness,
    "sample-rate": lambda a: (a, a),
    "lossy": lambda a: (a, a),
}


def _wav(path: Path, audio: np.ndarray, rate: int) -> Path:
    pcm = (np.clip(audio, -1, 1) * 32767).round().astype("<i2").T.tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(audio.shape[0])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return path


def _ffmpeg(*arguments: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *arguments], check=True)


def make_pairs(folder: Path) -> dict[str, tuple[Path, Path]]:
    """Each cue's two takes, as FLAC files in ``folder``: (human, AI)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = music()
    made = {}
    for cue, split in PAIRS.items():
        human, ai = split(base)
        paths = []
        for who, audio in (("human", human), ("ai", ai)):
            wav = _wav(folder / f"{cue}-{who}.wav", audio, RATE)
            flac = folder / f"{cue}-{who}.flac"
            if cue == "sample-rate" and who == "ai":
                _wav(wav, music(48_000), 48_000)
            if cue == "lossy" and who == "ai":
                lossy = folder / "lossy.mp3"
                _ffmpeg("-i", str(wav), "-c:a", "libmp3lame", "-b:a", "96k", str(lossy))
                _ffmpeg("-i", str(lossy), str(wav))
            _ffmpeg("-i", str(wav), "-c:a", "flac", str(flac))
            wav.unlink()
            paths.append(flac)
        made[cue] = (paths[0], paths[1])
    return made
