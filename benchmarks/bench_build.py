"""Pelican build time with pelican-audiotable vs without, cold and warm caches.

A generated site of 200 articles, each with a table of 10 clips (2,000 clip files),
is built in fresh processes, with and without the plugin, interleaved; medians and
bests are compared (the best is the steadier figure on a busy machine). Cold: no
caches at all. Warm: Pelican's content cache and the plugin's caches from the
previous build are there.

    python benchmarks/bench_build.py [--articles 200] [--clips 10] [--rounds 3]
                                     [--words 72] [--seconds 20-180]

The default articles are nearly all table (72 words of prose) with long clips, so
that the cold baseline is mostly Pelican copying 3 GB; ``--words 1000 --seconds
5-15`` makes articles shaped like the seed post instead (its clips are 5-15 s).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _clips import WORK, benchmark_clips

import pelican_audiotable

BUILD = r"""
import json, sys, time
from pelican import Pelican
from pelican.settings import read_settings
settings = json.loads(sys.argv[1])
start = time.perf_counter()
pelican = Pelican(read_settings(path=None, override=settings))
pelican.run()
print(time.perf_counter() - start)
"""


def make_site(
    root: Path, articles: int, clips_each: int, words: int, seconds: tuple[int, int]
) -> Path:
    content = root / "content"
    if (content / "done").exists():
        return content
    shutil.rmtree(content, ignore_errors=True)
    sources = benchmark_clips(12, *seconds)
    (content / "clips").mkdir(parents=True)
    for a in range(articles):
        rows = []
        for c in range(clips_each):
            name = f"a{a:03d}-c{c:02d}.mp3"
            os.link(
                sources[(a * clips_each + c) % len(sources)], content / "clips" / name
            )
            cell = (
                f'<audio controls preload="metadata"><source src="/clips/{name}" '
                'type="audio/mpeg"></audio>'
                if c % 2
                else f"[take {c}](/clips/{name})"
            )
            rows.append(f"| {'Actual' if c < 5 else 'AI'} section {c} | {cell} |")
        body = "\n\n".join(
            f"Paragraph {p} of article {a}: some words about takes, tones and mixes."
            for p in range(max(1, words // 12))  # twelve words a paragraph
        )
        (content / f"article-{a:03d}.md").write_text(
            f"Title: Article {a}\nDate: 2025-01-01 10:{a % 60:02d}\n\n{body}\n\n"
            "| Take | Clip |\n|---|---|\n" + "\n".join(rows) + "\n\nThe end.\n"
        )
    (content / "done").write_text("")
    return content


def build(content: Path, out: Path, plugin: bool, cold: bool) -> float:
    cache = out.parent / (out.name + "-cache")
    if cold:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    # Let the file system finish deleting and writing gigabytes of earlier builds
    # before this one is timed.
    os.sync()
    settings = {
        "PATH": str(content),
        "OUTPUT_PATH": str(out),
        "CACHE_PATH": str(cache),
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": not cold,
        "TIMEZONE": "UTC",
        "SITEURL": "",
        "STATIC_PATHS": ["clips"],
        "PLUGINS": ["pelican_audiotable"] if plugin else [],
        "FEED_ALL_ATOM": None,
        "CATEGORY_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
        "TRANSLATION_FEED_ATOM": None,
        "DELETE_OUTPUT_DIRECTORY": False,
        # Without it Pelican copies every clip on every build, and the copying
        # (gigabytes here) drowns what is measured.
        "STATIC_CHECK_IF_MODIFIED": True,
    }
    run = subprocess.run(
        [sys.executable, "-c", BUILD, json.dumps(settings)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--words", type=int, default=72, help="words of prose in each article"
    )
    parser.add_argument(
        "--seconds",
        default="20-180",
        help="clip lengths, shortest-longest (the seed post's clips: 5-15)",
    )
    args = parser.parse_args()
    seconds = tuple(int(s) for s in args.seconds.split("-"))
    # Compiled as ``pip install`` compiles it: otherwise, where bytecode is not
    # written (PYTHONDONTWRITEBYTECODE), every build would compile the plugin anew.
    compileall.compile_dir(Path(pelican_audiotable.__file__).parent, quiet=1)
    root = WORK / f"site-{args.articles}x{args.clips}"
    if (args.words, args.seconds) != (72, "20-180"):
        root = root.with_name(f"{root.name}-{args.words}w-{args.seconds}s")
    content = make_site(root, args.articles, args.clips, args.words, seconds)
    size = sum(f.stat().st_size for f in (content / "clips").iterdir())
    times: dict[tuple[bool, bool], list[float]] = {}
    # Cold builds first, warm ones after, so that no warm build runs while the
    # system is still writing out the gigabyte of clips a cold build copied.
    for cold in (True, False):
        for _ in range(args.rounds):
            for plugin in (False, True):
                out = root / ("with" if plugin else "without")
                times.setdefault((plugin, cold), []).append(
                    build(content, out, plugin, cold)
                )
    print(
        f"{args.articles} articles x {args.clips} clips of {args.seconds} s "
        f"({size / 1e9:.2f} GB), ~{args.words} words each; {args.rounds} "
        "interleaved builds each\n"
    )
    print(f"{'cache':<8}{'':<8}{'without':>10}{'with':>10}{'overhead':>11}")
    for cold in (True, False):
        label = "cold" if cold else "warm"
        for statistic in (statistics.median, min):
            without = statistic(times[(False, cold)])
            with_plugin = statistic(times[(True, cold)])
            overhead = (with_plugin / without - 1) * 100
            print(
                f"{label:<8}{statistic.__name__:<8}{without:>9.2f}s"
                f"{with_plugin:>9.2f}s{overhead:>10.1f}%"
            )


if __name__ == "__main__":
    main()
