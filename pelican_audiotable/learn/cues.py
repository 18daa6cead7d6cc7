"""What tells two takes apart besides their music: the cues a classifier reading
a blind trial's copies would use, measured while a clip is decoded. Blind copies
are made so that these read alike (:mod:`~.blind.recipes`), and the leak audit
names any that still differ (:mod:`~.blind.leaks`).

- DC offset: the largest mean of a channel.
- Width: the energy of the side (L - R) against the mid (L + R), in dB; a
  dual-mono clip has none.
- Exact zeros: the share of samples that are exactly 0 (digital silence).
- Onset: where the sound reaches within :data:`ONSET_BELOW` dB of its own loudest
  10 ms, whatever noise or room tone comes before (an absolute silence level
  keeps a room-tone lead-in).
- Noise floor: the quietest 100 ms after the onset, DC removed (dBFS RMS).
- Clipping: the share of samples on the peak's plateau (within 0.05 dB of it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The onset is the first 10 ms within this many dB of the clip's loudest 10 ms.
ONSET_BELOW = 40.0
#: Samples within this share of the peak sit on its plateau (0.05 dB).
PLATEAU = 10 ** (-0.05 / 20)
#: Levels below this read as digital silence (dBFS).
FLOOR = -120.0
#: The histogram of sample magnitudes that finds the plateau: steps of 1/20,000.
_STEPS = 20_000


@dataclass(frozen=True)
class Cues:
    dc: float
    side: float | None  # dB; None: one channel
    zeros: float
    onset: float  # seconds
    floor: float | None  # dBFS; None: no 100 ms after the onset
    plateau: float


class CueMeter:
    """Fed chunks of samples (channels x frames, floats at full scale 1.0)."""

    def __init__(self, rate: int, channels: int) -> None:
        self.rate = rate
        self.tick = max(1, round(rate / 100))  # 10 ms
        self.sums = np.zeros(channels)
        self.frames = 0
        self.side = 0.0
        self.mid = 0.0
        self.zeros = 0
        self.counts = np.zeros(_STEPS + 1, dtype=np.int64)
        self.rest = np.zeros((channels, 0), dtype=np.float32)
        self.ticks: list[np.ndarray] = []  # the AC power of each 10 ms

    def feed(self, samples: np.ndarray) -> None:
        if not samples.shape[1]:
            return
        self.sums += samples.sum(axis=1, dtype=np.float64)
        self.frames += samples.shape[1]
        self.zeros += int(samples.size - np.count_nonzero(samples))
        if samples.shape[0] == 2:
            left, right = samples[0].astype(np.float64), samples[1]
            self.side += float(np.square(left - right).sum())
            self.mid += float(np.square(left + right).sum())
        magnitudes = np.minimum(np.abs(samples), 1.0) * _STEPS
        self.counts += np.bincount(
            magnitudes.astype(np.int32).ravel(), minlength=_STEPS + 1
        )[: _STEPS + 1]
        joined = np.concatenate((self.rest, samples), axis=1)
        whole = joined.shape[1] // self.tick * self.tick
        self.rest = joined[:, whole:]
        if whole:
            ticks = joined[:, :whole].reshape(joined.shape[0], -1, self.tick)
            self.ticks.append(ticks.var(axis=2).mean(axis=0))

    def result(self) -> Cues:
        frames = max(self.frames, 1)
        channels = len(self.sums)
        power = np.concatenate(self.ticks) if self.ticks else np.zeros(0)
        onset = _onset(power)
        return Cues(
            dc=round(float(np.abs(self.sums / frames).max()), 5),
            side=_side(self.side, self.mid) if channels == 2 else None,
            zeros=round(self.zeros / (frames * channels), 5),
            onset=round(onset * self.tick / self.rate, 3),
            floor=_floor(power[onset:]),
            plateau=_plateau(self.counts, frames * channels),
        )


def _side(side: float, mid: float) -> float:
    if side <= 0:
        return FLOOR
    return round(10 * math.log10(side / mid), 2) if mid > 0 else 0.0


def _onset(power: np.ndarray) -> int:
    """The first 10 ms within :data:`ONSET_BELOW` dB of the loudest."""
    if not power.size or power.max() <= 0:
        return len(power)
    return int(np.argmax(power >= power.max() * 10 ** (-ONSET_BELOW / 10)))


def _floor(power: np.ndarray) -> float | None:
    """The quietest 100 ms, as dBFS RMS."""
    if len(power) < 10:
        return None
    windows = np.convolve(power, np.ones(10) / 10, mode="valid")
    quietest = float(windows.min())
    return round(max(FLOOR, 10 * math.log10(quietest)), 1) if quietest > 0 else FLOOR


def _plateau(counts: np.ndarray, samples: int) -> float:
    """The share of samples within 0.05 dB of the largest."""
    loudest = int(np.flatnonzero(counts)[-1]) if counts.any() else 0
    if loudest == 0:
        return 0.0
    return round(float(counts[int(loudest * PLATEAU) :].sum()) / samples, 6)
