"""Clip metadata kept between builds, keyed by path, size and modification time."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from .metadata import ClipError, ClipMetadata, read_metadata

logger = logging.getLogger(__name__)

#: Bump when what is stored (or how it is computed) changes.
CACHE_VERSION = 1


class MetadataCache:
    """Reads clips through a JSON file of earlier results; a changed file is re-read.

    Failures are kept too, so a broken clip costs one read per change, not per build.
    Within one build a file is read at most once, however many pages show it.
    """

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self._entries: dict[str, dict[str, Any]] = {}
        self._dirty = False
        self.hits = self.misses = 0
        if file is not None:
            self._entries = _load(file)

    def read(self, path: Path) -> ClipMetadata:
        try:
            stat = path.stat()
        except OSError as error:
            raise ClipError(f"cannot read the file: {error.strerror}") from error
        key = str(path)
        stamp = [stat.st_size, stat.st_mtime_ns]
        entry = self._entries.get(key)
        if entry is None or entry.get("stamp") != stamp:
            self.misses += 1
            entry = {"stamp": stamp, **_outcome(path)}
            self._entries[key] = entry
            self._dirty = True
        else:
            self.hits += 1
        if "error" in entry:
            kind, message = entry["error"]
            error = ClipError(message)
            error.kind = kind
            raise error
        return ClipMetadata.from_dict(entry["metadata"])

    def save(self) -> None:
        if self.file is None or not self._dirty:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.file.with_suffix(".tmp")
            payload = {"version": CACHE_VERSION, "entries": self._entries}
            temporary.write_text(json.dumps(payload), encoding="utf-8")
            os.replace(temporary, self.file)
            self._dirty = False
        except OSError as error:
            logger.warning("audiotable: cannot save the metadata cache: %s", error)


def _outcome(path: Path) -> dict[str, Any]:
    try:
        return {"metadata": read_metadata(path).to_dict()}
    except ClipError as error:
        return {"error": [error.kind, str(error)]}


def _load(file: Path) -> dict[str, dict[str, Any]]:
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(payload, dict) or payload.get("version") != CACHE_VERSION:
        return {}
    entries = payload.get("entries")
    return entries if isinstance(entries, dict) else {}
