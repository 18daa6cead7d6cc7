"""Build time through ``pelican content`` with pelican-audiotable vs without.

A generated site of 200 articles, each with a table of 10 clips (2,000 clip files),
is built by ``python -m pelican content``, the command users run, with and without
the plugin, interleaved; medians and bests are compared (the best is the steadier
figure on a busy machine). Three cases:

- cold: no caches at all;
- warm: Pelican's content cache and the plugin's stores from the build before;
- CI: the same caches, but every file of the content folder and the caches given a
  new mtime, as a fresh clone with its ``CACHE_PATH`` restored has.

Then the time to annotate one page of 10 clips (parse and annotate, clips known).

    python benchmarks/bench_build.py [--articles 200] [--clips 10] [--rounds 3]
                                     [--words 1000] [--seconds 5-15]

The default articles are shaped like the seed post (1,000 words, clips of 5-15 s);
``--words 72 --seconds 20-180`` makes them nearly all table with long clips, so
that the cold baseline is mostly Pelican copying 3 GB.
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _clips import WORK, benchmark_clips

import pelican_audiotable

CASES = ("cold", "warm", "CI")
HERE = Path(__file__).parent


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


def build(
    content: Path,
    out: Path,
    plugin: bool,
    case: str,
    extra: dict[str, object] | None = None,
    timed: bool = False,
) -> float:
    """Seconds of one build by ``pelican``; with ``timed``, the plugin's own
    milliseconds in it instead (see ``_timed_pelican.py``)."""
    cache = out.parent / (out.name + "-cache")
    if case == "cold":
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    elif case == "CI":
        for folder in (content, cache):
            for path in folder.rglob("*"):
                if path.is_file():
                    os.utime(path)  # now: as a clone's files are
    # Let the file system finish deleting and writing gigabytes of earlier builds
    # before this one is timed.
    os.sync()
    settings = {
        "PATH": str(content),
        "OUTPUT_PATH": str(out),
        "CACHE_PATH": str(cache),
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": case != "cold",
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
        **(extra or {}),
    }
    conf = out.parent / f"pelicanconf-{out.name}.py"
    conf.write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
    command = ["-m", "pelican"] if not timed else [str(HERE / "_timed_pelican.py")]
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, *command, str(content), "-s", str(conf), "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    if timed:
        spent = json.loads(run.stderr.strip().splitlines()[-1])
        print(
            f"    the plugin's own time in a warm build: {sum(spent.values()):.1f} ms "
            f"({', '.join(f'{k} {v:.1f} ms' for k, v in spent.items())})"
        )
        return float(sum(spent.values()))
    return time.perf_counter() - start


def annotation_ms(content: Path, rounds: int = 5) -> float:
    """Milliseconds to annotate one article's HTML (parse, resolve, annotate), its
    clips' facts known: what a page that is not in the page store costs."""
    import markdown

    from pelican_audiotable.files import regular_files
    from pelican_audiotable.find.resolve import PageRef, SiteFiles
    from pelican_audiotable.learn.metadata import read_metadata
    from pelican_audiotable.page import process_page
    from pelican_audiotable.settings import AudioTableSettings

    articles = sorted(content.glob("article-*.md"))[:50]
    pages = [
        markdown.markdown(a.read_text().split("\n\n", 1)[1], extensions=["tables"])
        for a in articles
    ]
    clips = sorted((content / "clips").iterdir())
    site = SiteFiles(
        content,
        published={f"clips/{c.name}": f"clips/{c.name}" for c in clips},
        files=regular_files(content),
    )
    facts = {c.resolve(): read_metadata(c) for c in clips[: len(articles) * 10]}
    settings = AudioTableSettings()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for number, html in enumerate(pages):
            ref = PageRef(
                f"article-{number:03d}.md", f"article-{number}.html", "x.html"
            )
            process_page(html, ref, site, facts.__getitem__, settings)
        best = min(best, (time.perf_counter() - start) / len(pages) * 1000)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--words", type=int, default=1000, help="words of prose in each article"
    )
    parser.add_argument(
        "--seconds",
        default="5-15",
        help="clip lengths, shortest-longest (the seed post's: 5-15)",
    )
    args = parser.parse_args()
    seconds = tuple(int(s) for s in args.seconds.split("-"))
    # Compiled as ``pip install`` compiles it: otherwise, where bytecode is not
    # written (PYTHONDONTWRITEBYTECODE), every build would compile the plugin anew.
    compileall.compile_dir(Path(pelican_audiotable.__file__).parent, quiet=1)
    root = WORK / f"site-{args.articles}x{args.clips}"
    if (args.words, args.seconds) != (72, "20-180"):  # the first benchmark site
        root = root.with_name(f"{root.name}-{args.words}w-{args.seconds}s")
    content = make_site(root, args.articles, args.clips, args.words, seconds)
    size = sum(f.stat().st_size for f in (content / "clips").iterdir())
    times: dict[tuple[bool, str], list[float]] = {}
    # Cold builds first, then warm and CI ones, so that no warm build runs while
    # the system is still writing out the gigabytes a cold build copied.
    for case in CASES:
        for _ in range(args.rounds):
            for plugin in (False, True):
                out = root / ("with" if plugin else "without")
                times.setdefault((plugin, case), []).append(
                    build(content, out, plugin, case)
                )
    print(
        f"{args.articles} articles x {args.clips} clips of {args.seconds} s "
        f"({size / 1e9:.2f} GB), ~{args.words} words each; {args.rounds} "
        "interleaved builds each, through pelican content\n"
    )
    print(f"{'case':<8}{'':<8}{'without':>10}{'with':>10}{'ratio':>9}")
    for case in CASES:
        for statistic in (statistics.median, min):
            without = statistic(times[(False, case)])
            with_plugin = statistic(times[(True, case)])
            print(
                f"{case:<8}{statistic.__name__:<8}{without:>9.2f}s"
                f"{with_plugin:>9.2f}s{with_plugin / without:>8.2f}x"
            )
    print(f"\nannotating a page of {args.clips} clips: {annotation_ms(content):.2f} ms")
    print("\nthe plugin's own time in warm builds (target: at most 60 ms):")
    out = root / "with"
    own = min(build(content, out, True, "warm", timed=True) for _ in range(args.rounds))
    print(f"best: {own:.1f} ms")


if __name__ == "__main__":
    main()
