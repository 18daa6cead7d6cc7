"""Clip metadata kept between builds, keyed by path, size and modification time."""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import pickle
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .model import PickledTables, ProcessedPage

if TYPE_CHECKING:
    from .metadata import ClipMetadata

logger = logging.getLogger(__name__)

#: Bump when what is stored (or how it is computed) changes.
CACHE_VERSION = 4


def file_stamp(path: Path | str) -> list[int]:
    """Size and modification time: a clip is read again when either changes."""
    stat = os.stat(path)
    return [stat.st_size, stat.st_mtime_ns]


class MetadataCache:
    """Reads clips through a JSON file of earlier results; a changed file is re-read.

    Failures are kept too, so a broken clip costs one read per change, not per build.
    Within one build a file is read at most once, however many pages show it.
    """

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._loaded: dict[str, dict[str, Any]] | None = None
        self._dirty = False
        self.hits = self.misses = 0

    @property
    def _entries(self) -> dict[str, dict[str, Any]]:
        """Loaded on first use: a warm build served by the page cache needs none."""
        if self._loaded is None:
            self._loaded = _load(self.file) if self.file else {}
        return self._loaded

    def read(self, path: Path) -> ClipMetadata:
        # The readers load with the first clip: a warm build needs none of them.
        from .metadata import ClipError, ClipMetadata

        try:
            stamp = file_stamp(path)
        except OSError as error:
            raise ClipError(f"cannot read the file: {error.strerror}") from error
        key = str(path)
        entry = self._entries.get(key)
        if entry is None or entry.get("stamp") != stamp:
            self.misses += 1
            entry = clip_entry(path, stamp)
            self._entries[key] = entry
            self._dirty = True
        else:
            self.hits += 1
        if "error" in entry:
            kind, message = entry["error"][:2]
            failure = ClipError(message, entry.get("tags"))
            failure.kind = kind
            raise failure
        return ClipMetadata.from_dict(entry["metadata"])

    def stamp_of(self, path: Path) -> list[int] | None:
        """The size and mtime this cache last saw ``path`` with."""
        if self._loaded is None:
            return None
        entry = self._loaded.get(str(path))
        return entry["stamp"] if entry else None

    def entries(self, paths: Iterable[str] | None = None) -> dict[str, Any]:
        """What is known, of every file or of ``paths``: to hand to another process."""
        if paths is None:
            return dict(self._entries)
        return {path: self._entries[path] for path in paths if path in self._entries}

    def merge(self, entries: dict[str, Any]) -> None:
        """Take in what another process read."""
        for path, entry in entries.items():
            if self._entries.get(path) != entry:
                self._entries[path] = entry
                self._dirty = True

    def save(self) -> None:
        if self._dirty and _save(self.file, self._entries):
            self._dirty = False


class PageCache:
    """Annotated pages kept between builds, so a warm build parses no HTML.

    A page is looked up by everything its output depends on (its HTML, where it is
    published, the settings, what the site publishes) and served only while every
    clip it read is unchanged. Pages with problems are never kept: a missing clip
    may appear, and its warning must be said again on every build.

    Kept as a pickle, like Pelican's own content cache in the same folder: it loads
    in half the time of JSON plus rebuilding the dataclasses.
    """

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._loaded: dict[str, tuple[ProcessedPage, dict[str, list[int]]]] | None
        self._loaded = None if file else {}
        self._used: set[str] = set()
        self._added = False
        self.hits = self.misses = 0

    @property
    def _entries(self) -> dict[str, tuple[ProcessedPage, dict[str, list[int]]]]:
        """Loaded when the first page is looked up, not when the build starts: the
        thousands of objects it holds would slow every garbage collection while
        Pelican reads the site."""
        if self._loaded is None:
            self._loaded = _load_pickle(self.file) if self.file else {}
        return self._loaded

    @staticmethod
    def key(*parts: object) -> str:
        """A digest of ``parts``; texts are hashed as they are (a page's HTML is the
        biggest part, and writing it as JSON first took twice the hashing)."""
        digest = hashlib.sha256(str(CACHE_VERSION).encode())
        for part in parts:
            if isinstance(part, str):
                data = part.encode("utf-8", "surrogatepass")
            else:
                data = json.dumps(part, default=str).encode()
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def get(self, key: str) -> ProcessedPage | None:
        entry = self._entries.get(key)
        if entry is None or not _unchanged(entry[1]):
            self.misses += 1
            return None
        self.hits += 1
        self._used.add(key)
        return entry[0]

    def put(self, key: str, page: ProcessedPage, stamps: dict[str, list[int]]) -> None:
        if page.problems or not page.tables:
            return
        self._used.add(key)
        self._added = True
        lazy = replace(page, tables=PickledTables.of(page.tables))
        self._entries[key] = (lazy, stamps)

    def save(self) -> None:
        """Keep what this build used; pages no longer built are forgotten."""
        if self._loaded is None or (
            not self._added and self._used == self._loaded.keys()
        ):
            return  # never looked at, or nothing new and nothing to forget
        kept = {key: self._entries[key] for key in self._used if key in self._entries}
        if _save(self.file, kept, pickled=True):
            self._loaded, self._added = kept, False


def _unchanged(stamps: dict[str, list[int]]) -> bool:
    try:
        return all(file_stamp(path) == stamp for path, stamp in stamps.items())
    except OSError:
        return False


def _save(file: Path | None, entries: dict[str, Any], pickled: bool = False) -> bool:
    if file is None:
        return False
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_suffix(".tmp")
        payload = {"version": CACHE_VERSION, "entries": entries}
        if pickled:
            temporary.write_bytes(pickle.dumps(payload, pickle.HIGHEST_PROTOCOL))
        else:
            temporary.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(temporary, file)
        return True
    except OSError as error:
        logger.warning("audiotable: cannot save the cache %s: %s", file, error)
        return False


def clip_entry(path: Path, stamp: list[int]) -> dict[str, Any]:
    """What the clip cache keeps of one file: the stamp it had before it was read,
    and its metadata or its error."""
    from .metadata import ClipError, read_metadata

    try:
        return {"stamp": stamp, "metadata": read_metadata(path).to_dict()}
    except ClipError as error:
        return {"stamp": stamp, "error": [error.kind, str(error)], "tags": error.tags}


def _load(file: Path) -> dict[str, dict[str, Any]]:
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return _entries_of(payload)


def _load_pickle(file: Path) -> dict[str, Any]:
    # Unpickling makes thousands of objects and no garbage; collecting meanwhile
    # would walk all of Pelican's objects again and again (it doubles the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        payload = pickle.loads(file.read_bytes())
    except Exception:  # missing, damaged, or written by other code: start afresh
        return {}
    finally:
        if collecting:
            gc.enable()
    return _entries_of(payload)


def _entries_of(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict) or payload.get("version") != CACHE_VERSION:
        return {}
    entries = payload.get("entries")
    return entries if isinstance(entries, dict) else {}
