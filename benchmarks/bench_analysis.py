"""Analysis speed: decode + loudness + true peak + envelope, in multiples of real
time on one core, side by side with ffmpeg's ebur128 filter (a process per file, as
a build script would run it) and pyloudnorm (integrated loudness only, decoding by
PyAV as ours), on the same files in one run.

Then the build cost of analysis through ``pelican content``: cold, warm and CI
(every mtime changed, the caches restored) with and without ``AUDIOTABLE_ANALYSIS``.

    python benchmarks/bench_analysis.py [--articles 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _clips import benchmark_clips
from bench_build import WORK, build, make_site

from pelican_audiotable.learn.analysis import analyse


def decoded(path: Path):  # type: ignore[no-untyped-def]
    import av
    import numpy as np

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [f.to_ndarray() for f in container.decode(stream)]
        return np.concatenate(frames, axis=1).T, stream.rate


def ours(path: Path) -> None:
    analyse(path)


class _NoSpectrum:
    """The spectrum meter's stand-in: what analysis costs without spectrograms."""

    def __init__(self, rate: int) -> None:
        pass

    def feed(self, samples: object) -> None:
        pass

    def bandwidth(self) -> None:
        return None

    def picture(self) -> None:
        return None


def ours_without_spectrum(path: Path) -> None:
    from pelican_audiotable.learn import analysis

    measuring = analysis._spectrum_for
    analysis._spectrum_for = _NoSpectrum  # type: ignore[assignment]
    try:
        analyse(path)
    finally:
        analysis._spectrum_for = measuring


def ffmpeg_ebur128(path: Path) -> None:
    subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path),
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, check=True,
    )  # fmt: skip


def pyloudnorm_loudness(path: Path) -> None:
    import pyloudnorm

    samples, rate = decoded(path)
    pyloudnorm.Meter(rate).integrated_loudness(samples)


def speed(files: list[Path], seconds: float) -> None:
    tools = {
        "pelican-audiotable": ours,
        "  without its spectrograms": ours_without_spectrum,
        "ffmpeg ebur128": ffmpeg_ebur128,
    }
    try:
        import pyloudnorm  # noqa: F401

        tools["pyloudnorm (+PyAV decode)"] = pyloudnorm_loudness
    except ImportError:
        print("(pyloudnorm is not installed: pip install pyloudnorm to compare)")
    ours(files[0])  # imports and first calls out of the way
    times: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(3):  # interleaved rounds
        for name, tool in tools.items():
            start = time.perf_counter()
            for path in files:
                tool(path)
            times[name].append(time.perf_counter() - start)
    print(f"{len(files)} clips, {seconds / 60:.1f} min of audio, one core, best of 3")
    print(f"{'':<28}{'seconds':>9}{'x real time':>13}")
    for name, runs in times.items():
        best = min(runs)
        print(f"{name:<28}{best:>8.2f}s{seconds / best:>12.0f}x")
    spectra = min(times["pelican-audiotable"]) / min(
        times["  without its spectrograms"]
    )
    print(
        f"spectrograms and bandwidths: {100 * (spectra - 1):.1f} % on top of analysis"
    )


def build_cost(articles: int, rounds: int) -> None:
    root = WORK / f"analysis-{articles}x10"
    content = make_site(root, articles, 10, 1000, (5, 15))
    times: dict[tuple[bool, str], list[float]] = {}
    for case in ("cold", "warm", "CI"):
        for _ in range(rounds):
            for analysis in (False, True):
                out = root / ("analysed" if analysis else "plain")
                times.setdefault((analysis, case), []).append(
                    build(content, out, True, case, {"AUDIOTABLE_ANALYSIS": analysis})
                )
    print(f"\n{articles} articles x 10 clips of 5-15 s; {rounds} interleaved builds")
    print(f"{'case':<8}{'off':>9}{'on':>9}{'ratio':>8}")
    for case in ("cold", "warm", "CI"):
        off = statistics.median(times[(False, case)])
        on = statistics.median(times[(True, case)])
        print(f"{case:<8}{off:>8.2f}s{on:>8.2f}s{on / off:>7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    files = benchmark_clips(4, 20, 180)
    seconds = sum(_duration(path) for path in files)
    speed(files, seconds)
    build_cost(args.articles, args.rounds)


def _duration(path: Path) -> float:
    from pelican_audiotable.learn.metadata import read_metadata

    return read_metadata(path).duration or 0.0


if __name__ == "__main__":
    main()
