"""A blog with audio files and no audio table pays nothing for the plugin.

Two podcast episodes (MP3, 20 minutes each, made by ffmpeg) linked from posts as
plain links, and 30 posts of text: built by ``python -m pelican content`` with the
plugin and without it, interleaved, cold (no caches) and warm (the caches of the
build before). Printed: best and median times side by side, and their ratios; the
target is 1.05 or less, cold and warm.

    python benchmarks/bench_no_tables.py [--rounds 5] [--minutes 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

WORK = Path(__file__).parent / ".work" / "no-tables"
SETTINGS = """
PATH = "content"
TIMEZONE = "UTC"
STATIC_PATHS = ["episodes"]
FEED_ALL_ATOM = "feeds/all.atom.xml"
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
PLUGINS = {plugins}
"""


def make_site(root: Path, minutes: int, plugins: list[str]) -> None:
    content = root / "content"
    (content / "episodes").mkdir(parents=True, exist_ok=True)
    for number in (1, 2):
        episode = content / "episodes" / f"episode-{number}.mp3"
        if not episode.exists():
            subprocess.run(
                ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                 "-i", f"sine=f={220 * number}:r=44100", "-t", str(minutes * 60),
                 "-c:a", "libmp3lame", "-b:a", "96k", str(episode)],
                check=True,
            )  # fmt: skip
    for number in range(30):
        episode = f"/episodes/episode-{number % 2 + 1}.mp3"
        (content / f"post-{number}.md").write_text(
            f"Title: Post {number}\nDate: 2025-01-{number % 28 + 1:02d}\n\n"
            + "Words about the show. " * 150
            + f"\n\n[Listen to the episode]({episode}) or read on.\n"
        )
    (root / "pelicanconf.py").write_text(SETTINGS.format(plugins=plugins))


def build(root: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-q"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--minutes", type=int, default=20)
    arguments = parser.parse_args()
    sites = {
        "without": (WORK / "without", []),
        "with": (WORK / "with", ["pelican_audiotable"]),
    }
    for root, plugins in sites.values():
        make_site(root, arguments.minutes, plugins)
    times: dict[tuple[str, str], list[float]] = {}
    for round_number in range(arguments.rounds):
        for name, (root, _) in sites.items():
            for folder in ("output", "cache"):
                shutil.rmtree(root / folder, ignore_errors=True)
            times.setdefault((name, "cold"), []).append(build(root))
            times.setdefault((name, "warm"), []).append(build(root))
        print(f"round {round_number + 1} of {arguments.rounds}", file=sys.stderr)
    print(f"{'case':6} {'without':>16} {'with':>16} {'ratio':>12}")
    for case in ("cold", "warm"):
        without, with_ = times[("without", case)], times[("with", case)]
        best = min(with_) / min(without)
        median = statistics.median(with_) / statistics.median(without)
        print(
            f"{case:6} {min(without):6.2f} s / {statistics.median(without):5.2f} s "
            f"{min(with_):6.2f} s / {statistics.median(with_):5.2f} s "
            f"{best:5.2f}x / {median:4.2f}x  (best / median)"
        )


if __name__ == "__main__":
    main()
