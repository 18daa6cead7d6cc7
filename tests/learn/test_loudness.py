"""Loudness, peaks, silence and envelopes measured at build time, against the
standard's own test signals and against FFmpeg's ebur128 filter."""

from __future__ import annotations

import random
import re
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pelican_audiotable.annotate.render import waveform_svg
from pelican_audiotable.errors import UndecodableClip
from pelican_audiotable.learn import loudness
from pelican_audiotable.learn.analysis import analyse, analyse_guarded
from pelican_audiotable.learn.jobs import jobs_for
from pelican_audiotable.learn.loudness import LoudnessMeter
from pelican_audiotable.learn.pool import CRASHED, learn
from pelican_audiotable.model import ClipAnalysis, NotDecoded, Unreadable
from tests.fuzz import MUTATIONS

DEMO_CLIPS = Path(__file__).parents[2] / "demo_site/content/music-generation"


def measure(signal: np.ndarray, rate: int = 48000, chunk: int = 48000):
    """``signal``: channels x samples."""
    meter = LoudnessMeter(rate, ["FL", "FR"][: len(signal)] or ["FC"])
    for start in range(0, signal.shape[1], chunk):
        meter.feed(signal[:, start : start + chunk].astype(np.float32))
    return meter.result()


def sine(seconds: float, dbfs: float, rate: int = 48000, freq: float = 1000.0):
    t = np.arange(int(seconds * rate)) / rate
    return 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)


def encoded(tmp_path: Path, name: str, expression: str, seconds: float) -> Path:
    """A file FFmpeg writes from a formula, as the EBU's test files are made."""
    path = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"aevalsrc={expression}:s=48000:d={seconds}", str(path)],
        check=True,
    )  # fmt: skip
    return path


def ffmpeg_loudness(path: Path) -> float:
    out = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af", "ebur128",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = out[out.rindex("Summary:") :]
    return float(re.search(r"I:\s+(-?[\d.]+)", summary)[1])  # type: ignore[index]


@pytest.mark.parametrize("level", [-23.0, -33.0])
def test_ebu_tech_3341_stereo_sines(tmp_path: Path, level: float) -> None:
    """Tech 3341 cases 1 and 2: a stereo 1 kHz sine at the level on each channel
    reads that level in LUFS, measured in memory and decoded from a FLAC file."""
    tone = sine(20, level)
    assert measure(np.stack([tone, tone])).loudness == pytest.approx(level, abs=0.1)
    amplitude = 10 ** (level / 20)
    formula = f"{amplitude}*sin(2*PI*1000*t)|{amplitude}*sin(2*PI*1000*t)"
    path = encoded(tmp_path, "sine.flac", formula, 20)
    assert analyse(path).loudness == pytest.approx(level, abs=0.1)


def test_loudness_agrees_with_ffmpeg_on_music(clips: dict[str, Path]) -> None:
    """Every demo clip (synthesized guitars and fiddles, LAME-encoded) and every
    test clip of every format: within 0.5 LU of FFmpeg's ebur128 filter."""
    paths = sorted(DEMO_CLIPS.glob("*.mp3")) + sorted(clips.values())
    differences = {
        path.name: abs(analyse(path).loudness - ffmpeg_loudness(path))  # type: ignore[operator]
        for path in paths
    }
    print(differences)
    assert max(differences.values()) <= 0.5
    assert sum(differences.values()) / len(differences) <= 0.1


def test_a_clip_shorter_than_one_block_is_measured_whole() -> None:
    """BS.1770 gates 400 ms blocks; a 250 ms clip has none, and is measured as one
    (pyloudnorm raises here)."""
    tone = sine(0.25, -20)
    short = measure(np.stack([tone, tone]))
    long = measure(np.stack([sine(5, -20)] * 2))
    assert short.loudness == pytest.approx(long.loudness, abs=0.2)
    silent = measure(np.zeros((2, 12000)))
    assert silent.loudness is None and silent.true_peak is None


def test_true_peak_finds_the_peak_between_samples() -> None:
    """A sine at a quarter of the sample rate, 45° off: every sample sits at 0.707
    of the crest, which 4x interpolation finds."""
    rate = 48000
    n = np.arange(rate * 2)
    wave = 0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)
    measured = measure(np.stack([wave, wave]), rate)
    assert measured.sample_peak == pytest.approx(-9.03, abs=0.05)
    assert measured.true_peak == pytest.approx(-6.02, abs=0.3)


def test_leading_silence() -> None:
    rate = 48000
    tone = np.concatenate(
        [np.zeros(int(0.8 * rate)), sine(2, -20), np.zeros(rate // 2)]
    )
    measured = measure(np.stack([tone, tone]), rate, chunk=7000)
    assert measured.leading_silence == pytest.approx(0.8, abs=0.002)


def test_chunking_does_not_change_what_is_measured() -> None:
    rng = np.random.default_rng(7)
    noise = rng.standard_normal((2, 48000 * 7)) * np.linspace(0.01, 0.3, 48000 * 7)
    one = measure(noise, chunk=48000 * 7)
    many = measure(noise, chunk=4321)
    assert many.loudness == pytest.approx(one.loudness, abs=0.001)
    assert many.true_peak == one.true_peak and many.sample_peak == one.sample_peak
    assert many.envelope == one.envelope


def test_the_waveform_is_small_decorative_and_shaped_like_the_clip(
    clips: dict[str, Path],
) -> None:
    analysis = analyse(clips["vbr-xing-48k.mp3"])
    svg = waveform_svg(analysis)
    assert len(svg.encode()) <= 2048
    assert 'aria-hidden="true"' in svg and 'focusable="false"' in svg
    assert len(analysis.envelope) == 200
    lows, highs = analysis.envelope[::2], analysis.envelope[1::2]
    assert all(
        -100 <= low <= high <= 100 for low, high in zip(lows, highs, strict=True)
    )
    rising = measure(np.stack([sine(4, -40) * np.linspace(0, 100, 4 * 48000)] * 2))
    tops = rising.envelope[1::2]
    assert tops[10] < tops[50] < tops[-1]  # a crescendo rises


def test_files_ffmpeg_cannot_decode_give_a_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00" * 5000)
    with pytest.raises(UndecodableClip):
        analyse(junk)
    assert isinstance(analyse_guarded(junk), NotDecoded)


def test_damaged_clips_never_break_the_analysis(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    """The fuzzer's damage, every format, decoded as builds decode: in the pool.
    Some of it crashes FFmpeg (PyAV 18.1 on a damaged MP4 here): that takes a worker
    down, never the build, and the clip is kept as undecodable."""
    rng = random.Random(2026)
    names = []
    for name, path in sorted(clips.items()):
        original = path.read_bytes()
        for case in range(12):
            data = bytearray(original)
            rng.choice(MUTATIONS)(data, rng)
            damaged = tmp_path / f"{case}-{name}"
            damaged.write_bytes(bytes(data))
            names.append(str(damaged))
    stamps, facts = learn(names, lambda key: False, jobs_for(analyse=True), 2)
    assert len(stamps) == len(names)
    outcomes = Counter()
    for learnt in facts.values():
        if isinstance(learnt.metadata, Unreadable):
            outcomes["not read"] += 1
            continue
        analysis = learnt.analysis
        if isinstance(analysis, NotDecoded):
            assert "please report it" not in analysis.message, analysis
        outcomes["measured" if isinstance(analysis, ClipAnalysis) else
                 "crashed" if analysis.message == CRASHED else "refused"] += 1  # fmt: skip
    print(outcomes)
    assert outcomes["measured"] and outcomes["refused"] + outcomes["crashed"]


def test_skipping_quiet_ticks_finds_the_same_true_peak() -> None:
    """Music is mostly quieter than its peak: those ticks are skipped, provably
    without missing the peak; here against the whole signal interpolated."""
    rng = np.random.default_rng(3)
    rate = 48000
    level = np.repeat(rng.uniform(0.02, 0.3, 60), rate // 10)  # phrases of 100 ms
    music = rng.standard_normal((2, len(level))) * level
    music[:, 123_457] = [0.97, -0.2]  # one transient
    meter = LoudnessMeter(rate, ["FL", "FR"])
    for start in range(0, music.shape[1], rate):
        meter.feed(music[:, start : start + rate].astype(np.float32))
    whole = LoudnessMeter(rate, ["FL", "FR"])
    whole._feed_true_peak(music.astype(np.float32), None)
    whole._feed_true_peak(np.zeros((2, 11), np.float32), None)
    expected = max(whole.true_peak, float(np.abs(music.astype(np.float32)).max()))
    assert meter.result().true_peak == round(20 * np.log10(expected), 2)


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_true_peak_is_the_standards_filter_applied_directly(channels: int) -> None:
    """Dense, loud material (nothing skipped), in chunks that cut through the
    meter's blocks, against each phase of BS.1770's filter convolved in float64."""
    rng = np.random.default_rng(channels)
    music = np.clip(rng.standard_normal((channels, 3 * 48000 + 77)) * 0.5, -1, 1)
    names = ["FL", "FR", "FC", "LFE", "BL", "BR"][:channels]
    meter = LoudnessMeter(48000, names)
    for start in range(0, music.shape[1], 10_007):
        meter.feed(music[:, start : start + 10_007].astype(np.float32))
    phase_0 = np.array(loudness._PHASE_0)
    phase_1 = np.array(loudness._PHASE_1)
    expected = max(
        np.abs(np.convolve(channel, phase, "full")).max()
        for channel in music.astype(np.float32).astype(np.float64)
        for phase in (phase_0, phase_1, phase_1[::-1], phase_0[::-1])
    )
    expected = max(expected, np.abs(music.astype(np.float32)).max())
    assert meter.result().true_peak == pytest.approx(20 * np.log10(expected), abs=0.01)
