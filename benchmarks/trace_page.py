"""One page's way through a cold build, as the modules it runs in: a trace of
every call and return inside the package while Pelican builds a one-page site
(two clips, one open table), printed as numbered stays (module:function), with
how many stays there are, how many climb back up to a module that called down,
and how many return to a module already left.

    python benchmarks/trace_page.py [--list]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

PACKAGE = "pelican_audiotable"
PAGE = """Title: Takes
Date: 2025-01-01

| Take | Clip |
|--|--|
| First | <audio controls src="/clips/a.mp3"></audio> |
| Second | [b](/clips/b.mp3) |
"""
SETTINGS = """
PATH = "content"
OUTPUT_PATH = "output"
CACHE_PATH = "cache"
STATIC_PATHS = ["clips"]
TIMEZONE = "UTC"
PLUGINS = ["pelican_audiotable"]
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
AUDIOTABLE_WORKERS = 1
AUDIOTABLE_ANALYSIS = False
"""


#: The handler that takes the pages from Pelican and gives them back annotated
#: (the static files are copied and the stores saved elsewhere, not traced).
HANDLER = "annotate_generators"


def make_site(root: Path) -> None:
    clips = root / "content" / "clips"
    clips.mkdir(parents=True)
    for name, hz in (("a.mp3", 440), ("b.mp3", 660)):
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=f={hz}:d=3",
             "-b:a", "128k", str(clips / name)],
            check=True,
        )  # fmt: skip
    (root / "content" / "post.md").write_text(PAGE)
    (root / "pelicanconf.py").write_text(SETTINGS)


def _module(frame: FrameType | None) -> str | None:
    """The package's module a frame runs in (None: not the package's, or a
    module being imported)."""
    if frame is None or frame.f_code.co_name == "<module>":
        return None
    name = frame.f_globals.get("__name__", "")
    if not name.startswith(PACKAGE):
        return None
    return name[len(PACKAGE) + 1 :] or "__init__"


def _public(frame: FrameType) -> bool:
    name = frame.f_code.co_name
    return not name.startswith(("_", "<"))


def trace(root: Path) -> list[tuple[str, str, bool]]:
    """Each stay in a module while the pages are annotated: (module, function,
    came back up). A stay begins with a call of a public function of another
    module, or with a return to the module that called; a loop calling the same
    function of another module again and again is one stay there."""
    from pelican import Pelican
    from pelican.settings import read_settings

    stays: list[tuple[str, str, bool]] = []
    inside: list[FrameType] = []  # the handler that annotates the pages

    def add(stay: tuple[str, str, bool]) -> None:
        if stays and stays[-1][:2] == stay[:2]:
            return
        down, back_up = not stay[2], len(stays) >= 2 and stays[-1][2]
        if down and back_up and stays[-2][:2] == stay[:2]:
            stays.pop()  # back up, then down to the same function: a loop
            return
        stays.append(stay)

    def seen(frame: FrameType, event: str, _: Any) -> None:
        if frame.f_code.co_name == HANDLER and event == "call" and not inside:
            inside.append(frame)
            add((_module(frame) or "", HANDLER, False))
            return
        if not inside:
            return
        if frame is inside[0] and event == "return":
            inside.clear()
            return
        here, caller = _module(frame), _module(frame.f_back)
        if here is None or caller is None or here == caller:
            return
        if event == "call" and _public(frame):
            add((here, frame.f_code.co_name, False))
        elif event == "return" and frame.f_back is not None:
            add((caller, frame.f_back.f_code.co_name, True))

    settings = read_settings(str(root / "pelicanconf.py"))
    settings["PATH"] = str(root / "content")
    settings["OUTPUT_PATH"] = str(root / "output")
    settings["CACHE_PATH"] = str(root / "cache")
    pelican = Pelican(settings)
    sys.setprofile(seen)
    try:
        pelican.run()
    finally:
        sys.setprofile(None)
    return stays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print every stay")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp())
    try:
        make_site(root)
        stays = trace(root)
    finally:
        shutil.rmtree(root)
    left: set[str] = set()
    returns = 0
    for number, (module, function, up) in enumerate(stays, 1):
        again = module in left
        returns += again
        if args.list:
            marks = ("↑" if up else " ") + ("↺" if again else " ")
            print(f"{number:3} {marks} {module}:{function}")
        if number < len(stays):
            left.add(module)
    modules = {module for module, _, _ in stays}
    climbs = sum(up for _, _, up in stays)
    print(
        f"{len(stays)} stays in {len(modules)} modules, {climbs} climbs back up, "
        f"{returns} returns to a module already left"
    )


if __name__ == "__main__":
    main()
