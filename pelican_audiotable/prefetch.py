"""Clips read in the background while Pelican reads the site.

A build without a clip cache (the first one, or CI's) spends most of the plugin's
time reading clips, and it could only start once every article was read. Yet the
clips are files in the content folder from the start, and Pelican reads articles
on one core. So at the start of such a build, background processes read every
audio file below the content folder on the cores Pelican leaves idle, and when
the pages are annotated the plugin takes what they have read and reads the rest
itself, as before. Only regular files inside the content folder are read:
symlinks are not followed, so nothing outside it is ever opened.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .cache import clip_entry, file_stamp
from .formats import AUDIO_EXTENSIONS
from .processes import process_context

logger = logging.getLogger(__name__)

#: Fewer clips than this, and starting a process costs more than it saves.
MIN_CLIPS = 16


def audio_files(root: Path, skip: tuple[Path, ...] = ()) -> list[str]:
    """Every regular audio file below ``root`` (symlinks and hidden folders left
    out, as are the folders in ``skip``), by the path the clip cache keys it by."""
    real_root = os.path.realpath(root)
    skipped = {os.path.realpath(folder) for folder in skip}
    found = []
    for folder, subfolders, files in os.walk(real_root):
        subfolders[:] = sorted(
            name
            for name in subfolders
            if not name.startswith(".") and os.path.join(folder, name) not in skipped
        )
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS and (
                not os.path.islink(path)
            ):
                found.append(path)
    return found


@dataclass
class Prefetch:
    """Background processes reading clips, each through its share of the files."""

    stop: Any  # a multiprocessing Event: set, and each process sends what it has
    readers: list[tuple[Any, Connection]] = field(default_factory=list)

    @classmethod
    def start(cls, paths: list[str], processes: int, context: Any) -> Prefetch:
        prefetch = cls(stop=context.Event())
        for share in (paths[i::processes] for i in range(processes)):
            receiving, sending = context.Pipe(duplex=False)
            process = context.Process(
                target=_read_share, args=(share, prefetch.stop, sending), daemon=True
            )
            process.start()
            sending.close()
            prefetch.readers.append((process, receiving))
        return prefetch

    def collect(self) -> dict[str, Any]:
        """Stop reading, and return every clip-cache entry read so far."""
        self.stop.set()
        entries: dict[str, Any] = {}
        for process, receiving in self.readers:
            try:
                entries.update(receiving.recv())
            except (EOFError, OSError) as error:  # the process died: read later
                logger.info("audiotable: a background reader failed (%s)", error)
            process.join()
        self.readers.clear()
        return entries


def start_prefetch(
    root: Path, skip: tuple[Path, ...], processes: int
) -> Prefetch | None:
    """Background reading of the clips below ``root``, when it is worth it."""
    if processes < 1:
        return None
    paths = audio_files(root, skip)
    if len(paths) < MIN_CLIPS:
        return None
    processes = min(processes, len(paths) // MIN_CLIPS)
    try:
        return Prefetch.start(paths, processes, process_context())
    except OSError as error:  # no processes or semaphores here (some sandboxes)
        logger.info("audiotable: clips are not read ahead (%s)", error)
        return None


def _read_share(paths: list[str], stop: Any, sending: Connection) -> None:
    if hasattr(os, "nice"):
        os.nice(10)  # idle cores only: Pelican reading the site comes first
    entries = {}
    for path in paths:
        if stop.is_set():
            break
        try:
            stamp = file_stamp(path)
        except OSError:
            continue  # gone since the folder was listed
        entries[path] = clip_entry(Path(path), stamp)
    sending.send(entries)
    sending.close()
