"""The spectrum meter: where a clip's content stops, and its spectrogram, from
samples made here (noise cut by a brick wall, a sine, silence) and from a real
MP3 encoder's output."""

from __future__ import annotations

import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from pelican_audiotable.learn.analysis import analyse
from pelican_audiotable.learn.spectrum import (
    BANDS,
    COLUMNS,
    HIGHEST,
    LOWEST,
    SpectrumMeter,
)

RATE = 44_100


def measured(samples: np.ndarray, rate: int = RATE) -> SpectrumMeter:
    """Fed a second at a time, in whole hops, as the decoder feeds it."""
    meter = SpectrumMeter(rate)
    for start in range(0, samples.shape[1], rate):
        meter.feed(samples[:, start : start + rate])
    return meter


def noise(seconds: float, cut: float | None = None, channels: int = 2) -> np.ndarray:
    rng = np.random.default_rng(7)
    white = rng.standard_normal((channels, int(seconds * RATE))) * 0.1
    if cut is not None:  # a brick wall: nothing above ``cut``
        spectrum = np.fft.rfft(white, axis=1)
        spectrum[:, np.fft.rfftfreq(white.shape[1], 1 / RATE) > cut] = 0
        white = np.fft.irfft(spectrum, n=white.shape[1], axis=1)
    return white.astype(np.float32)


def png_alpha(data: bytes) -> np.ndarray:
    """The alpha channel of the meter's grey-and-alpha PNG, rows x columns."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, kind = struct.unpack(">IIBB", data[16:26])
    assert (depth, kind) == (8, 4)
    idat = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[idat - 4 : idat])
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + 2 * width)
    assert not rows[:, 0].any()  # no filter
    return rows[:, 2::2]


def test_full_band_noise_reaches_the_nyquist_frequency() -> None:
    assert measured(noise(5)).bandwidth() == pytest.approx(RATE / 2, abs=300)


@pytest.mark.parametrize("cut", [4_000, 8_000, 16_000])
def test_noise_cut_by_a_brick_wall_stops_there(cut: int) -> None:
    assert measured(noise(5, cut)).bandwidth() == pytest.approx(cut, abs=300)


def test_a_pure_tone_is_narrow_and_silence_has_none() -> None:
    time = np.arange(3 * RATE) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 440 * time)).astype(np.float32)[None, :]
    width = measured(tone).bandwidth()
    assert width is not None and width < 2_000
    silent = measured(np.zeros((2, 3 * RATE), dtype=np.float32))
    assert silent.bandwidth() is None and silent.picture() is None
    assert SpectrumMeter(RATE).picture() is None  # nothing fed


def test_the_picture_is_small_and_shows_where_the_sound_is() -> None:
    meter = measured(noise(180, cut=8_000))
    picture = meter.picture()
    assert picture is not None and len(picture) <= 12 * 1024
    alpha = png_alpha(picture)
    assert alpha.shape == (BANDS, COLUMNS)
    # Bands spaced evenly in log frequency, the highest on top.
    edges = np.geomspace(LOWEST, min(HIGHEST, RATE / 2), BANDS + 1)
    above = edges[:-1][::-1] > 9_000
    below = edges[1:][::-1] < 7_000
    assert alpha[below].mean() > 150  # ink where the noise is
    assert alpha[above].max() == 0  # none past the wall


def test_a_short_clip_gives_a_narrow_picture() -> None:
    alpha = png_alpha(measured(noise(2)).picture() or b"")
    assert alpha.shape == (BANDS, 10)  # a window every 200 ms


def test_an_encoders_low_pass_is_the_bandwidth(tmp_path: Path) -> None:
    """LAME at 64 kbps cuts pink noise well below 22 kHz: the analysis says where,
    names its spectrogram by its content, and carries the PNG to the store."""
    clip = tmp_path / "pink.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         "anoisesrc=d=6:c=pink:r=44100:a=0.3", "-c:a", "libmp3lame", "-b:a", "64k",
         str(clip)],
        check=True,
    )  # fmt: skip
    analysis = analyse(clip)
    assert analysis.bandwidth is not None and 12_000 < analysis.bandwidth < 19_000
    assert analysis.spectrum and analysis.spectrum.endswith(".png")
    assert analysis.picture.startswith(b"\x89PNG") and len(analysis.picture) <= 12_288
    assert analyse(clip).spectrum == analysis.spectrum  # named by its content
    assert "picture" not in analysis.to_dict()  # never in the store's JSON
