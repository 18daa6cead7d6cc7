"""First-load weight of the demo post: with pelican-audiotable and its theme, vs the
post as the seed publishes it (native players, preload="metadata", no plugin).

Both are built from the same content and measured in Debian's Chromium in one run:
bytes over the wire and requests until the network is idle.

    python benchmarks/bench_page_weight.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from pelican_audiotable.cli.server import serving

ROOT = Path(__file__).parent.parent
DEMO = ROOT / "demo_site"
POST = "posts/human-vs-ai-music-generation-services/"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def build(output: Path, plugin: bool) -> None:
    settings = ["-s", "pelicanconf.py", "-o", str(output)]
    if not plugin:
        # The seed's way: no plugin, a plain theme, players as written.
        settings += [
            "-e",
            "PLUGINS=[]",
            'THEME="simple"',
            'DIRECT_TEMPLATES=["index", "tags", "categories", "authors", "archives"]',
        ]
    subprocess.run(
        [sys.executable, "-m", "pelican", "content", *settings],
        cwd=DEMO,
        check=True,
        capture_output=True,
    )


def first_load(browser, url: str) -> tuple[int, int, int, int]:
    """Bytes and requests in all, and those of audio, until the network is idle."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    page.goto(url, wait_until="networkidle")
    time.sleep(2)  # let media elements finish their metadata requests
    context.close()
    # Chromium's own media controls load their icons as data: URLs; not traffic.
    urls = {r: u for r, u in urls.items() if not u.startswith("data:")}
    audio = [r for r, u in urls.items() if u.endswith(".mp3")]
    return (
        sum(sizes.get(r, 0) for r in urls),
        len(urls),
        sum(sizes.get(r, 0) for r in audio),
        len(audio),
    )


def main() -> None:
    subprocess.run([sys.executable, str(DEMO / "make_clips.py")], check=True)
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        results = {}
        for label, plugin in (("seed (native, metadata)", False), ("audiotable", True)):
            output = Path(work) / label.split()[0]
            build(output, plugin)
            with serving(output) as url:
                results[label] = first_load(browser, f"{url}/{POST}")
        browser.close()
    print("First load of the demo post in Chromium, cache disabled\n")
    header = ("page", "bytes", "requests", "audio bytes", "audio req.")
    print("{:<26}{:>12}{:>10}{:>13}{:>11}".format(*header))
    for label, (total, requests, audio, audio_requests) in results.items():
        print(f"{label:<26}{total:>12,}{requests:>10}{audio:>13,}{audio_requests:>11}")
    seed, ours = results.values()
    print(
        f"\naudiotable / seed: {ours[0] / seed[0]:.2f}x the bytes, "
        f"{ours[1]}/{seed[1]} requests"
    )


if __name__ == "__main__":
    main()
