"""The page store: annotated pages kept between builds, so a warm build parses no HTML.

A page is looked up by what its output depends on: its HTML, where it is published,
the settings and the package version; and it is served only while each of its clips
still resolves to the same file and URL and that file still has the same content
key. So a changed clip, a moved clip, a changed setting or a new version re-annotates
exactly the pages they touch. A page's problems are kept with it and said again
each time it is served; a missing clip that appears changes the site's files, and
so re-annotates the page.

Kept in ``CACHE_PATH/audiotable/``: an index in plain JSON (``pages.json``), and
each page's output in a file of its own (``pages/<key>.html``), all written
atomically; a warm build reads the index and the pages it serves, and parses no
page's HTML or tables.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .log import get_logger
from .model import Problem, ProblemKind, ProcessedPage, StoredTables
from .resolve import PageRef, ResolvedClip, SiteFiles, first_playable_source
from .store import ClipStore, write_atomically

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = get_logger(__name__)

#: Bump when what is stored changes.
PAGES_FORMAT = 1


class Site(Protocol):
    """What the build publishes: a fingerprint of it, and its files when needed
    (listing them costs Pelican 37 µs a file)."""

    fingerprint: str
    root: Path  # the content folder, symlinks resolved: clips are kept below it

    @property
    def files(self) -> SiteFiles: ...


@dataclass(frozen=True)
class UsedClip:
    """One clip a page uses: its sources as written, what they resolved to, and
    the content key of the file."""

    sources: tuple[str, ...]
    path: str | None
    url: str | None
    remote: bool
    key: str | None

    @classmethod
    def of(
        cls,
        sources: tuple[str, ...],
        resolved: ResolvedClip,
        key: str | None,
        root: Path,
    ) -> UsedClip:
        return cls(sources, _below(root, resolved), resolved.url, resolved.remote, key)

    def resolves_as(self, resolved: ResolvedClip, root: Path) -> bool:
        now = (_below(root, resolved), resolved.url, resolved.remote)
        return now == (self.path, self.url, self.remote)


def _below(root: Path, resolved: ResolvedClip) -> str | None:
    """A clip's file relative to the content folder: a clone elsewhere (CI's)
    finds its pages in the store all the same."""
    if resolved.path is None:
        return None
    return resolved.path.relative_to(root).as_posix()


@dataclass
class PageStore:
    """Pages by key: an index (``pages.json``: what each page used) loaded with the
    first lookup, and each page's output in a file of its own, read when served."""

    folder: Path | None
    version: str
    hits: int = 0
    misses: int = 0
    _entries: dict[str, dict[str, Any]] | None = None
    _new: dict[str, ProcessedPage] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _changed: bool = False

    @staticmethod
    def key(html: str, page: PageRef, settings_fingerprint: str, version: str) -> str:
        digest = hashlib.sha256(f"{version}/{PAGES_FORMAT}".encode())
        for part in (
            html,
            page.source_path,
            page.url,
            page.save_as,
            settings_fingerprint,
        ):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        """Loaded when the first page is looked up."""
        if self._entries is None:
            self._entries = self._load()
        return self._entries

    def _index(self) -> Path | None:
        return self.folder / "pages.json" if self.folder else None

    def _body(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / "pages" / f"{key}.html"

    def _load(self) -> dict[str, dict[str, Any]]:
        index = self._index()
        if index is None:
            return {}
        try:
            payload = json.loads(index.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.info("the page store is unreadable (%s); rebuilt", error)
            return {}
        if not isinstance(payload, dict) or payload.get("version") != self._stamp():
            logger.info("the page store is from another version; rebuilt")
            return {}
        entries = payload.get("pages")
        return entries if isinstance(entries, dict) else {}

    def _stamp(self) -> str:
        return f"{self.version}/{PAGES_FORMAT}"

    def get(
        self, key: str, page: PageRef, site: Site, clips: ClipStore
    ) -> ProcessedPage | None:
        """The page kept under ``key``, if every clip it used is as it was."""
        entry = self.entries.get(key)
        body = None
        if entry is not None and self._still_true(entry, page, site, clips):
            body = self._read_body(key)
        if entry is None or body is None:
            self.misses += 1
            return None
        self.hits += 1
        self._used.add(key)
        clips.keep(used[4] for used in entry["clips"] if used[4])
        problems = tuple(
            Problem(page.source_path, clip, ProblemKind(kind), message, group)
            for clip, kind, message, group in entry.get("problems", ())
        )
        return replace(body, problems=problems)

    def _read_body(self, key: str) -> ProcessedPage | None:
        """A page's output as kept: its JSON-LD line, its tables line (JSON, decoded
        only if a template reads them), then its HTML, as it is."""
        try:
            jsonld, tables, html = self._body(key).read_text("utf-8").split("\n", 2)
        except (OSError, ValueError):
            return None
        entry = self.entries[key]
        copies = tuple(entry.get("copies", ()))
        spans = tuple((start, end) for start, end in entry.get("spans", ()))
        return ProcessedPage(html, StoredTables(tables), (), jsonld, copies, spans)

    def _still_true(
        self, entry: dict[str, Any], page: PageRef, site: Site, clips: ClipStore
    ) -> bool:
        if entry["site"] != site.fingerprint:
            # Files came or went: does each clip still resolve as it did?
            files = site.files
            for u in entry["clips"]:
                used = UsedClip(tuple(u[0]), *u[1:])
                now = first_playable_source(used.sources, page, files)
                if not used.resolves_as(now, site.root):
                    return False
            entry["site"] = site.fingerprint
            self._changed = True
        if not all(clips.has_copy(name) for name in entry.get("copies", ())):
            return False  # the clip store lost a blind table's copy: made again
        # The hot path of a warm build: 2,000 clips on 200 pages, so plain lists.
        root = os.path.join(site.root, "")
        return all(
            path is None or clips.key_of(root + path) == key
            for _, path, _, _, key in entry["clips"]
        )

    def put(
        self, key: str, processed: ProcessedPage, used: Iterable[UsedClip], site: str
    ) -> None:
        if not processed.tables:
            return
        self.entries[key] = {
            "site": site,
            "clips": [[list(u.sources), u.path, u.url, u.remote, u.key] for u in used],
        }
        if processed.problems:
            self.entries[key]["problems"] = [
                [p.clip, p.kind.value, p.message, p.group] for p in processed.problems
            ]
        if processed.copies:
            self.entries[key]["copies"] = list(processed.copies)
        self.entries[key]["spans"] = [list(span) for span in processed.spans]
        self._new[key] = processed
        self._used.add(key)
        self._changed = True

    def save(self) -> None:
        """Keep what this build used; pages no longer built are forgotten."""
        index = self._index()
        if self._entries is None or index is None:
            return
        for key, processed in self._new.items():
            text = "\n".join(
                (
                    processed.jsonld,
                    StoredTables.of(processed.tables).text,
                    processed.html,
                )
            )
            if not write_atomically(self._body(key), text):
                self._used.discard(key)
        self._new.clear()
        kept = {key: self._entries[key] for key in self._used if key in self._entries}
        if not self._changed and kept.keys() == self._entries.keys():
            return
        for gone in self._entries.keys() - kept.keys():
            self._body(gone).unlink(missing_ok=True)
        payload = {"version": self._stamp(), "pages": kept}
        if write_atomically(index, json.dumps(payload, separators=(",", ":"))):
            self._entries, self._changed = kept, False
