"""What a clip's sound is made of, measured in the decode that measures its loudness:
a small log-frequency spectrogram (a PNG) and its effective bandwidth, where its
content stops (about 16 kHz for many 128 kbps MP3s: the encoder's low-pass).

Every 200 ms a 1,024-sample window of the mono mix is transformed; its power is
summed into bands spaced evenly in log frequency for the picture, and kept whole
for the bandwidth. Pure: samples in, an image and a frequency out.
"""

from __future__ import annotations

import itertools
import struct
import zlib

import numpy as np

#: Samples a window holds: 23 ms at 44.1 kHz, bins 43 Hz apart.
WINDOW = 1024
#: The picture: at most this many columns (time) of this many bands (frequency).
COLUMNS = 160
BANDS = 48
#: Its frequency axis, in Hz (the top: the Nyquist frequency when lower).
LOWEST, HIGHEST = 50.0, 20_000.0
#: Its level axis: this many dB below the loudest band is blank.
RANGE_DB = 72.0
#: Content this many dB below the clip's loudest frequencies counts as none.
BANDWIDTH_FLOOR_DB = 60.0


class SpectrumMeter:
    """Fed chunks of samples (channels x frames, floats at full scale 1.0)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.hop = max(1, round(rate / 5))
        self._window = np.hanning(WINDOW).astype(np.float32)
        self._pending: np.ndarray | None = None  # what the next window starts in
        self._skip = 0  # samples of it before the next window starts
        self._bands = _band_matrix(rate)
        self._columns: list[np.ndarray] = []  # band powers, a row a window
        self._total = np.zeros(WINDOW // 2 + 1)  # every window's power, summed
        self._windows = 0

    def feed(self, samples: np.ndarray) -> None:
        mono = np.add.reduce(samples, axis=0)  # the sum: levels are relative here
        if self._pending is not None:  # the chunks come in whole hops: rarely
            mono = np.concatenate((self._pending, mono))
        starts = np.arange(self._skip, len(mono) - WINDOW + 1, self.hop)
        if starts.size:
            frames = mono[starts[:, None] + np.arange(WINDOW)] * self._window
            spectrum = np.fft.rfft(frames, axis=1)
            power = spectrum.real**2 + spectrum.imag**2
            self._total += power.sum(axis=0)
            self._windows += len(starts)
            self._columns.append((power @ self._bands).astype(np.float32))
            self._skip = int(starts[-1]) + self.hop
        kept = min(self._skip, len(mono))
        self._pending = mono[kept:].copy() if kept < len(mono) else None
        self._skip -= kept

    def bandwidth(self) -> float | None:
        """Where the content stops, in Hz (to 100 Hz); None for silence."""
        if not self._windows or not self._total.any():
            return None
        spread = max(1, round(250 * WINDOW / self.rate))  # smoothed over 250 Hz
        smooth = np.convolve(self._total, np.ones(spread) / spread, mode="same")
        with np.errstate(divide="ignore"):
            level = 10 * np.log10(smooth)
        hertz = np.arange(len(level)) * self.rate / WINDOW
        heard = level[hertz >= LOWEST]
        if not np.isfinite(heard).any():
            return None
        floor = float(np.max(heard)) - BANDWIDTH_FLOOR_DB
        sounding = np.flatnonzero((level >= floor) & (hertz >= LOWEST))
        if not sounding.size:
            return None
        top = min(float(hertz[sounding[-1]]), self.rate / 2)
        return round(top / 100) * 100

    def picture(self) -> bytes | None:
        """The spectrogram as a PNG: ink (alpha) where there is sound, high
        frequencies on top; None for silence or nothing decoded."""
        if not self._columns:
            return None
        power = np.concatenate(self._columns)
        edges = np.linspace(0, len(power), min(COLUMNS, len(power)) + 1).astype(int)
        columns = np.add.reduceat(power, edges[:-1], axis=0)
        with np.errstate(divide="ignore"):
            level = 10 * np.log10(columns)
        finite = level[np.isfinite(level)]
        if not finite.size:
            return None
        top = float(np.percentile(finite, 99.5))
        shade = np.clip((level - (top - RANGE_DB)) / RANGE_DB, 0, 1)
        shade = np.nan_to_num(shade, nan=0.0)
        alpha = (np.rint(shade * 15) * 17).astype(np.uint8)  # 16 shades: smaller
        return _png(alpha.T[::-1])


def _band_matrix(rate: int) -> np.ndarray:
    """Bins x bands: each band the mean power of the bins it spans (a band
    narrower than a bin takes the bin it falls in)."""
    nyquist = rate / 2
    edges = np.geomspace(LOWEST, min(HIGHEST, nyquist), BANDS + 1)
    hertz = np.arange(WINDOW // 2 + 1) * rate / WINDOW
    matrix = np.zeros((len(hertz), BANDS), dtype=np.float32)
    for band, (low, high) in enumerate(itertools.pairwise(edges)):
        inside = np.flatnonzero((hertz >= low) & (hertz < high))
        if not inside.size:
            inside = np.array([int(np.argmin(np.abs(hertz - (low + high) / 2)))])
        matrix[inside, band] = 1 / inside.size
    return matrix


def _png(alpha: np.ndarray) -> bytes:
    """A grey-and-alpha PNG of black ink, ``alpha`` (rows x columns) its opacity:
    a page's CSS can invert it for a dark theme."""
    height, width = alpha.shape
    pixels = np.zeros((height, width, 2), dtype=np.uint8)
    pixels[:, :, 1] = alpha
    rows = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 4, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
