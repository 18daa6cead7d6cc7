"""The page store: annotated pages kept between builds, so a warm build parses no HTML.

A page is looked up by what its output depends on: its HTML, where it is published,
the settings and the package version; and it is served only while each of its clips
still resolves to the same file and URL and that file still has the same content
key. So a changed clip, a moved clip, a changed setting or a new version re-annotates
exactly the pages they touch. A page's problems are kept with it and said again
each time it is served; a missing clip that appears changes the site's files, and
so re-annotates the page.

Kept in ``CACHE_PATH/audiotable/``: an index (``pages.json``: what each page used),
and each page's output in a file of its own (``pages/<key>.html``), read only when
the page is served.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..model import PageRef, Problem, ProblemKind, ProcessedPage, StoredTables
from . import jsonfile

if TYPE_CHECKING:  # resolving loads only when the site's files changed
    from ..find.resolve import ResolvedClip, SiteFiles

#: Bump when what is stored changes.
PAGES_FORMAT = 4


class Site(Protocol):
    """What the build publishes: a fingerprint of it, and its files when needed
    (listing them costs Pelican 37 µs a file)."""

    fingerprint: str
    root: Path  # the content folder, symlinks resolved: clips are kept below it

    @property
    def files(self) -> SiteFiles: ...


class ClipKeys(Protocol):
    """What the page store asks of the clip store: whether a page's clips and the
    files it shows are as they were, and to keep what a served page still uses."""

    def key_of(self, path: Path | str) -> str | None: ...
    def has_file(self, name: str) -> bool: ...
    def keep(self, keys: Iterable[str], files: Iterable[str] = ()) -> None: ...


class UsedClip(NamedTuple):
    """One clip a page uses: its sources as written, what they resolved to (the
    file relative to the content folder, so that a clone elsewhere finds its pages
    all the same), and the content key of the file."""

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


def _summary(data: object) -> tuple[str, str] | None:
    if (
        isinstance(data, list)
        and len(data) == 2
        and all(isinstance(d, str) for d in data)
    ):
        return data[0], data[1]
    return None


def _below(root: Path, resolved: ResolvedClip) -> str | None:
    if resolved.path is None:
        return None
    return resolved.path.relative_to(root).as_posix()


@dataclass
class KeptPage:
    """What the index keeps of one page: what its output depends on beyond its
    key, and what is said or done each time it is served."""

    site: str  # the fingerprint of the site's files it was built against
    clips: tuple[UsedClip, ...]
    problems: tuple[tuple[str | None, ProblemKind, str, str | None], ...] = ()
    files: tuple[str, ...] = ()  # what it plays or shows from the clip store
    spans: tuple[tuple[int, int], ...] = ()  # where its tables are in its HTML
    #: Its summary, and what it was cut for (see :meth:`PageStore.summary`).
    summary: tuple[str, str] | None = None
    takes: tuple[tuple[str, str], ...] = ()  # what its blind tables play

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "clips": [[list(u.sources), *u[1:]] for u in self.clips],
            "problems": [[c, k.value, m, g] for c, k, m, g in self.problems],
            "files": list(self.files),
            "spans": [list(span) for span in self.spans],
            "summary": list(self.summary) if self.summary else None,
            "takes": [list(take) for take in self.takes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeptPage:
        return cls(
            data["site"],
            tuple(UsedClip(tuple(u[0]), *u[1:]) for u in data["clips"]),
            tuple((c, ProblemKind(k), m, g) for c, k, m, g in data["problems"]),
            tuple(data["files"]),
            tuple((start, end) for start, end in data["spans"]),
            _summary(data.get("summary")),
            tuple((key, src) for key, src in data.get("takes", ())),
        )


@dataclass
class PageStore:
    """Pages by key: the index, loaded with the first lookup, and each page's
    output in a file of its own, read when served."""

    folder: Path | None
    version: str
    hits: int = 0
    misses: int = 0
    _entries: dict[str, KeptPage] | None = None
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
    def entries(self) -> dict[str, KeptPage]:
        """Loaded when the first page is looked up."""
        if self._entries is None:
            index = self.folder / "pages.json" if self.folder else None
            kept = jsonfile.load(index, self._stamp(), "page store") or {}
            self._entries = {}
            with jsonfile.collector_paused():
                for key, value in kept.items():
                    try:
                        self._entries[key] = KeptPage.from_json(value)
                    except (KeyError, TypeError, ValueError, AttributeError):
                        jsonfile.dropped("page store", key)  # built again
        return self._entries

    def _stamp(self) -> str:
        return f"{self.version}/{PAGES_FORMAT}"

    def _body(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / "pages" / f"{key}.html"

    def get(
        self, key: str, page: PageRef, site: Site, clips: ClipKeys
    ) -> ProcessedPage | None:
        """The page kept under ``key``, if every clip it used is as it was."""
        entry = self.entries.get(key)
        body = None
        if entry is not None and self._still_true(entry, page, site, clips):
            body = self._read_body(key, entry)
        if entry is None or body is None:
            self.misses += 1
            return None
        self.hits += 1
        self._used.add(key)
        clips.keep((used.key for used in entry.clips if used.key), entry.files)
        problems = tuple(Problem(page.source_path, *said) for said in entry.problems)
        return replace(body, problems=problems, key=key)

    def _read_body(self, key: str, entry: KeptPage) -> ProcessedPage | None:
        """A page's output as kept: its JSON-LD line, its tables line (JSON, decoded
        only if a template reads them), then its HTML, as it is."""
        try:
            jsonld, tables, html = self._body(key).read_text("utf-8").split("\n", 2)
        except (OSError, ValueError):
            return None
        return ProcessedPage(
            html,
            StoredTables(tables),
            (),
            jsonld,
            entry.files,
            entry.spans,
            takes=entry.takes,
        )

    def _still_true(
        self, entry: KeptPage, page: PageRef, site: Site, clips: ClipKeys
    ) -> bool:
        if entry.site != site.fingerprint:
            # Files came or went: does each clip still resolve as it did?
            from ..find.resolve import first_playable_source

            files = site.files
            for used in entry.clips:
                now = first_playable_source(used.sources, page, files)
                if not used.resolves_as(now, site.root):
                    return False
            entry.site = site.fingerprint
            self._changed = True
        if not all(clips.has_file(name) for name in entry.files):
            return False  # the clip store lost a file it shows: made again
        # The hot path of a warm build: 2,000 clips on 200 pages.
        root = os.path.join(site.root, "")
        return all(
            used.path is None or clips.key_of(root + used.path) == used.key
            for used in entry.clips
        )

    def summary(self, key: str, recipe: str) -> str | None:
        """The summary kept with the page ``key``, if it was cut for ``recipe``
        (what a summary depends on beyond the page: its limits, its URL)."""
        entry = self.entries.get(key) if key else None
        if entry is None or entry.summary is None or entry.summary[0] != recipe:
            return None
        return entry.summary[1]

    def keep_summary(self, key: str, recipe: str, summary: str) -> None:
        """Keep a page's summary with it: a warm build cuts none."""
        entry = self.entries.get(key) if key else None
        if entry is not None and entry.summary != (recipe, summary):
            entry.summary = (recipe, summary)
            self._changed = True

    def put(
        self, key: str, processed: ProcessedPage, used: tuple[UsedClip, ...], site: str
    ) -> None:
        if not processed.tables:
            return
        self.entries[key] = KeptPage(
            site,
            used,
            tuple((p.clip, p.kind, p.message, p.group) for p in processed.problems),
            processed.files,
            processed.spans,
            takes=processed.takes,
        )
        self._new[key] = processed
        self._used.add(key)
        self._changed = True

    def save(self) -> None:
        """Keep what this build used; pages no longer built are forgotten."""
        if self._entries is None or self.folder is None:
            return
        for key, processed in self._new.items():
            text = "\n".join(
                (
                    processed.jsonld,
                    StoredTables.of(processed.tables).text,
                    processed.html,
                )
            )
            if not jsonfile.write_atomically(self._body(key), text):
                self._used.discard(key)
        self._new.clear()
        kept = {
            key: self._entries[key]
            for key in sorted(self._used)
            if key in self._entries
        }
        if not self._changed and kept.keys() == self._entries.keys():
            return
        payload = {key: entry.to_json() for key, entry in kept.items()}
        if jsonfile.save(self.folder / "pages.json", self._stamp(), payload):
            self._entries, self._changed = kept, False
            jsonfile.prune(self.folder / "pages", {f"{key}.html" for key in kept})
