"""Work done in the background while Pelican reads the site, on a cold build.

A build without a clip cache (the first one, or CI's) has two big jobs: reading
every clip and parsing every audio table. Both could start long before Pelican
hands its pages over: the clips are files in the content folder from the start,
and a page's HTML is known as soon as Pelican has read it. Yet Pelican reads on
one core. So at the start of such a build a few processes start, and

- each reads its share of the audio files below the content folder;
- each parses the tables of the pages it is sent, as Pelican reads them;
- once every page is read, they hand over the clips they have read, and then
  annotate the pages they parsed (and any others), as worker processes would.

Only regular files inside the content folder are read: symlinks are not
followed, so nothing outside it is ever opened. A table is parsed ahead from the
HTML it had then; a page whose HTML has changed since is parsed again.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import MetadataCache, clip_entry, file_stamp
from .formats import AUDIO_EXTENSIONS
from .processes import process_context
from .scan import table_spans

if TYPE_CHECKING:
    from .discover import ParsedFragment
    from .model import PageWork
    from .resolve import SiteFiles
    from .workers import PageDone

logger = logging.getLogger(__name__)

#: Fewer clips than this, and starting a process costs more than it saves.
MIN_CLIPS = 16
#: Characters of table HTML a process keeps parsed ahead: a parsed table takes
#: some 60 times its size (so ≈ 120 MB), and tables beyond are parsed later.
PARSE_AHEAD_LIMIT = 2_000_000


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
class Background:
    """The background processes, and which of them parsed which page."""

    processes: list[Any] = field(default_factory=list)
    connections: list[Connection | None] = field(default_factory=list)
    #: Characters of table HTML sent to each process, to share the parsing out.
    sent: list[int] = field(default_factory=list)
    #: A page's HTML -> the process that parsed its tables.
    parsed_by: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, paths: list[str], processes: int, context: Any) -> Background:
        background = cls()
        for share in (paths[i::processes] for i in range(processes)):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(share, theirs), daemon=True)
            process.start()
            theirs.close()
            background.processes.append(process)
            background.connections.append(ours)
            background.sent.append(0)
        return background

    def parse_ahead(self, html: str) -> None:
        """Have a page's audio tables parsed by the least busy process."""
        fragments = _tables_of(html)
        alive = [i for i, c in enumerate(self.connections) if c is not None]
        if not fragments or not alive or html in self.parsed_by:
            return
        index = min(alive, key=self.sent.__getitem__)
        if self._send(index, ("parse", fragments)):
            self.sent[index] += sum(map(len, fragments))
            self.parsed_by[html] = index

    def clips(self) -> dict[str, Any]:
        """Stop reading clips, and return every clip-cache entry read so far."""
        entries: dict[str, Any] = {}
        for index in range(len(self.processes)):
            if self._send(index, ("clips",)):
                entries.update(self._receive(index) or {})
        return entries

    def annotate(
        self, work: list[PageWork], site: SiteFiles, cache: MetadataCache
    ) -> list[PageDone | None]:
        """Every page of ``work`` annotated by the process that parsed it (the
        least busy one if none did); ``None`` where a process failed."""
        shares: dict[int, list[int]] = {}
        alive = [i for i, c in enumerate(self.connections) if c is not None]
        if not alive:
            return [None] * len(work)
        for position, item in enumerate(work):
            index = self.parsed_by.get(item.html)
            if index is None or self.connections[index] is None:
                index = min(alive, key=self.sent.__getitem__)
                self.sent[index] += sum(map(len, _tables_of(item.html)))
            shares.setdefault(index, []).append(position)
        known = cache.entries()
        asked = [
            index
            for index, positions in shares.items()
            if self._send(index, ("pages", site, known, [work[p] for p in positions]))
        ]
        done: list[PageDone | None] = [None] * len(work)
        for index in asked:
            answer = self._receive(index)
            if answer is None:
                continue
            pages, entries = answer
            cache.merge(entries)
            for position, page in zip(shares[index], pages, strict=True):
                done[position] = page
        return done

    def close(self) -> None:
        for index, process in enumerate(self.processes):
            self._send(index, ("stop",))
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        self.processes.clear()
        self.connections.clear()

    def _send(self, index: int, message: tuple[Any, ...]) -> bool:
        connection = self.connections[index]
        if connection is None:
            return False
        try:
            connection.send(message)
            return True
        except OSError as error:
            self._lost(index, error)
            return False

    def _receive(self, index: int) -> Any:
        connection = self.connections[index]
        if connection is None:
            return None
        try:
            return connection.recv()
        except (EOFError, OSError) as error:
            self._lost(index, error)
            return None

    def _lost(self, index: int, error: Exception) -> None:
        """A process died: its work is done in this one instead."""
        logger.info("audiotable: a background process failed (%r); going on", error)
        self.connections[index] = None


def _tables_of(html: str) -> list[str]:
    return [html[span.start : span.end] for span in table_spans(html)]


def start_background(
    root: Path, skip: tuple[Path, ...], processes: int
) -> Background | None:
    """Background processes for the clips below ``root``, when worth it."""
    if processes < 2:
        return None  # one core: this process does it all, as it would anyway
    paths = audio_files(root, skip)
    if len(paths) < MIN_CLIPS:
        return None
    processes = min(processes, len(paths) // MIN_CLIPS)
    try:
        return Background.start(paths, processes, process_context())
    except OSError as error:  # no processes or pipes here (some sandboxes)
        logger.info("audiotable: nothing is done in the background (%s)", error)
        return None


def _serve(paths: list[str], connection: Connection) -> None:
    """A background process: read clips until asked for something, then do it."""
    if hasattr(os, "nice"):
        os.nice(10)  # idle cores only: Pelican reading the site comes first
    entries: dict[str, Any] = {}
    parsed: dict[str, ParsedFragment] = {}
    room = PARSE_AHEAD_LIMIT
    unread = iter(paths)
    reading = True
    while True:
        if reading and not connection.poll():
            path = next(unread, None)
            if path is None:
                reading = False
            else:
                _read_clip(path, entries)
            continue
        try:
            kind, *arguments = connection.recv()
        except EOFError:
            return  # the build is gone
        if kind == "parse":
            from .discover import parse_tables

            for fragment in arguments[0]:
                if len(fragment) <= room:
                    try:
                        parsed[fragment] = parse_tables(fragment)
                    except Exception:  # parsed again when annotated, and reported
                        continue
                    room -= len(fragment)
        elif kind == "clips":
            reading = False
            connection.send(entries)
        elif kind == "pages":
            site, known, work = arguments
            connection.send(_annotate(site, known, work, parsed))
        else:
            return


def _read_clip(path: str, entries: dict[str, Any]) -> None:
    try:
        stamp = file_stamp(path)
    except OSError:
        return  # gone since the folder was listed
    entries[path] = clip_entry(Path(path), stamp)


def _annotate(
    site: SiteFiles,
    known: dict[str, Any],
    work: list[PageWork],
    parsed: dict[str, ParsedFragment],
) -> tuple[list[PageDone], dict[str, Any]]:
    from .discover import parse_tables
    from .workers import process_one

    def parse(fragment: str) -> ParsedFragment:
        # Taken, not looked at: annotating changes it (and two pages may hold
        # the very same table).
        return parsed.pop(fragment, None) or parse_tables(fragment)

    cache = MetadataCache(None)
    cache.merge(known)
    done = [process_one(item, site, cache, parse) for item in work]
    return done, cache.entries({path for page in done for path in page.stamps})
