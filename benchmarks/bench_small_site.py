"""CPU of a small site's first build through ``pelican content``: ten clips on one
page, with the plugin (analysis on: durations, loudness, waveforms, spectra) and
without it, side by side in one run. The CPU is the build's and its worker
processes' (user + system), measured by the kernel for the whole process tree.

    python benchmarks/bench_small_site.py [--clips 10] [--seconds 30] [--rounds 3]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTINGS = """
PATH = "content"
OUTPUT_PATH = "output"
CACHE_PATH = "cache"
STATIC_PATHS = ["clips"]
TIMEZONE = "UTC"
PLUGINS = {plugins!r}
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
"""


def make_site(root: Path, clips: int, seconds: int) -> None:
    folder = root / "content" / "clips"
    folder.mkdir(parents=True)
    for i in range(clips):
        tone = f"sine=f={220 + 55 * i}:d={seconds}"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", tone, "-f", "lavfi",
             "-i", f"anoisesrc=a=0.05:d={seconds}", "-filter_complex", "amix=2",
             "-ac", "2", "-b:a", "192k", str(folder / f"take-{i}.mp3")],
            check=True,
        )  # fmt: skip
    cells = " | ".join(f"[take {i}](/clips/take-{i}.mp3)" for i in range(clips))
    header = " | ".join(f"T{i}" for i in range(clips))
    rule = " | ".join("--" for _ in range(clips))
    (root / "content" / "post.md").write_text(
        f"Title: Takes\nDate: 2025-01-01\n\n| {header} |\n| {rule} |\n| {cells} |\n"
    )


def first_build(root: Path, plugin: bool) -> tuple[float, float]:
    """CPU seconds (the build and every process it started) and wall seconds of
    a cold build: no output, no cache."""
    for folder in ("output", "cache"):
        shutil.rmtree(root / folder, ignore_errors=True)
    plugins = ["pelican_audiotable"] if plugin else []
    (root / "pelicanconf.py").write_text(SETTINGS.format(plugins=plugins))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        make_site(root, args.clips, args.seconds)
        runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for _ in range(args.rounds):  # interleaved: a busy moment hits both
            for plugin in (False, True):
                runs[plugin].append(first_build(root, plugin))
    for plugin, label in ((False, "without the plugin"), (True, "with the plugin")):
        cpu = statistics.median(c for c, _ in runs[plugin])
        wall = statistics.median(w for _, w in runs[plugin])
        print(f"{label:20} first build: {cpu:5.2f} s CPU, {wall:5.2f} s wall (median)")
    ratio = statistics.median(c for c, _ in runs[True]) / statistics.median(
        c for c, _ in runs[False]
    )
    print(
        f"{args.clips} clips of {args.seconds} s: the plugin's first build takes "
        f"{ratio:.2f}x the CPU of the build without it (target: at most 2x)"
    )


if __name__ == "__main__":
    main()
