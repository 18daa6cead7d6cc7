"""The bytes of CSS and JS a page loads, gzipped as a static host serves them: a
page with an open table, and a page with a blind table, built by ``pelican
content`` under the bundled theme and under Pelican's ``simple`` (where the
plugin links its own assets), loaded in Debian's Chromium. Budgets: 14 KB for a
page with open tables only, 20 KB for one with a blind table; the blind tables'
modules load only on the second.

    python benchmarks/bench_script_weight.py
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

from pelican_audiotable import theme_path
from pelican_audiotable.cli.server import serving

sys.path.insert(0, str(Path(__file__).parent))
from bench_page_weight import CHROMIUM_ARGS

BUDGETS = {"open": 14 * 1024, "blind": 20 * 1024}
TABLE = (
    "| Take | Human | AI |\n|--|--|--|\n"
    "| Verse | [h](/clips/h.mp3) | [a](/clips/a.mp3) |\n"
)
HEAD = "Date: 2025-01-01\n"
PAGES = {
    "open": f"Title: Open\nSlug: open\n{HEAD}\n{TABLE}",
    "blind": f"Title: Blind\nSlug: blind\n{HEAD}Audiotable_blind: yes\n\n{TABLE}",
}
SETTINGS = """
PATH = "content"
STATIC_PATHS = ["clips"]
TIMEZONE = "UTC"
PLUGINS = ["pelican_audiotable"]
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
THEME = {theme!r}
"""


def make_site(root: Path, theme: str) -> Path:
    clips = root / "content" / "clips"
    clips.mkdir(parents=True)
    for name, hz in (("h", 440), ("a", 660)):
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=f={hz}:d=4",
             "-b:a", "128k", str(clips / f"{name}.mp3")],
            check=True,
        )  # fmt: skip
    for slug, text in PAGES.items():
        (root / "content" / f"{slug}.md").write_text(text)
    (root / "pelicanconf.py").write_text(SETTINGS.format(theme=theme))
    output = root / "output"
    subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py",
         "-o", str(output)],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip
    return output


def loaded(browser, url: str, output: Path) -> dict[str, int]:
    """Each CSS and JS file the page loads, and its gzipped size."""
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(url, wait_until="networkidle")
    page.close()
    sizes = {}
    for address in requested:
        path = urlparse(address).path
        if path.endswith((".css", ".js")):
            data = (output / path.lstrip("/")).read_bytes()
            sizes[path] = len(gzip.compress(data, 9))
    return sizes


def main() -> None:
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for theme in (theme_path(), "simple"):
            name = "bundled" if theme != "simple" else "simple"
            output = make_site(Path(work) / name, theme)
            with serving(output) as url:
                for slug, budget in BUDGETS.items():
                    sizes = loaded(browser, f"{url}/{slug}.html", output)
                    total = sum(sizes.values())
                    verdict = "within" if total <= budget else "OVER"
                    print(
                        f"{name:8} theme, {slug:5} page: {total / 1024:5.1f} KB "
                        f"gzipped in {len(sizes)} files ({verdict} "
                        f"{budget // 1024} KB)"
                    )
                    for path, size in sorted(sizes.items()):
                        print(f"    {size:6,} {path}")
        browser.close()


if __name__ == "__main__":
    main()
