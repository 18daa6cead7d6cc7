"""Previewing while writing: the site built again whenever its content, settings
or theme change, as ``pelican -lr`` does, served by :mod:`.server` (which, unlike
Pelican's own, answers the byte ranges a player needs to seek).

Each build runs ``python -m pelican`` in a process of its own, as users run it:
a build that fails says why and the server goes on serving the last good site.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

#: How often the files are looked at, in seconds.
POLL = 0.5


def watched_folders(settings_file: Path) -> tuple[list[Path], Path]:
    """The folders a build reads (content, and the theme when it is a folder)
    and the output folder it writes, from the site's settings."""
    from pelican.settings import read_settings

    settings = read_settings(str(settings_file))
    folders = [Path(settings["PATH"])]
    theme = Path(str(settings.get("THEME", "")))
    if theme.is_dir():
        folders.append(theme)
    return folders, Path(settings["OUTPUT_PATH"])


def snapshot(paths: list[Path], skip: list[Path]) -> dict[str, tuple[int, int]]:
    """Each file's modification time and size, below ``paths``."""
    skipped = {os.path.realpath(p) for p in skip}
    seen: dict[str, tuple[int, int]] = {}
    for path in paths:
        for name in _files(path, skipped):
            try:
                stat = os.stat(name)
            except OSError:
                continue
            seen[name] = (stat.st_mtime_ns, stat.st_size)
    return seen


def _files(path: Path, skipped: set[str]) -> Iterator[str]:
    if path.is_file():
        yield str(path)
        return
    for folder, subfolders, files in os.walk(path):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".")
            and os.path.realpath(os.path.join(folder, name)) not in skipped
        ]
        for name in files:
            yield os.path.join(folder, name)


#: A line of Pelican's log that warns: its level and message (its time before,
#: its source file after, as Pelican's handler lays them out).
_WARNING = re.compile(
    r"^(?:\[[\d:]+\])?\s*(WARNING|ERROR|CRITICAL)\s+(.*?)(?:\s+\S+\.py:\d+)?\s*$"
)


def warnings_in(log: str) -> list[str]:
    """The warnings and errors of a build's log, once each."""
    found = (_WARNING.match(line) for line in log.splitlines())
    return list(dict.fromkeys(f"{m[1]}: {m[2]}" for m in found if m))


def build(settings_file: Path) -> bool:
    """Build the site once; say how it went, and what it warned of (a preview
    that only said "built" would hide a missing clip until the page is read)."""
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(settings_file)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "10000"},  # one line a message
    )
    said = warnings_in(run.stdout + run.stderr)
    if run.returncode:
        print(run.stdout + run.stderr, file=sys.stderr)
        print("preview: the build failed; serving the last good site", file=sys.stderr)
        return False
    for line in said:
        print(f"preview: {line}", file=sys.stderr)
    verdict = (
        f"{len(said)} warning{'s' if len(said) > 1 else ''}" if said else "all well"
    )
    took = time.monotonic() - started
    print(f"preview: built in {took:.1f} s, {verdict}", file=sys.stderr)
    return True


def rebuild_on_change(settings_file: Path, stop: threading.Event) -> None:
    """Build whenever a watched file changes, until ``stop`` is set."""
    folders, output = watched_folders(settings_file)
    watched = [*folders, settings_file]
    skip = [output, Path(settings_file).parent / "cache"]
    before = snapshot(watched, skip)
    while not stop.wait(POLL):
        now = snapshot(watched, skip)
        if now != before:
            time.sleep(POLL / 2)  # an editor's save is often two writes
            build(settings_file)
            before = snapshot(watched, skip)
