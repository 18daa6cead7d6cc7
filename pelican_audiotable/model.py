"""The values that leave the pipeline: what templates and the command line see."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from .render import clips_summary

if TYPE_CHECKING:  # the readers load only when a clip is read
    from .metadata import ClipMetadata
    from .resolve import PageRef
    from .settings import AudioTableSettings


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one clip of one page: a warning (an error when strict)."""

    page: str  # the page's source path
    clip: str | None  # the clip as the author wrote it; None for a whole table
    kind: str  # "missing", "unpublished", "outside", "corrupt", "truncated", …
    message: str

    def __str__(self) -> str:
        message = _shortened(self.message, 400)
        if self.clip is None:
            return f"{self.page}: {message}"
        return f"{self.page}: clip {_shortened(self.clip, 120)!r}: {message}"


def _shortened(text: str, most: int) -> str:
    """Text as a warning quotes it: a 5,000-character clip name is cut."""
    return text if len(text) <= most else text[: most - 40] + "…" + text[-30:]


@dataclass(frozen=True)
class ClipInfo:
    """One clip of an audio table, with what the build learnt about it."""

    src: str
    label: str | None = None
    row_label: str | None = None
    column_label: str | None = None
    url: str | None = None
    metadata: ClipMetadata | None = None
    error: str | None = None  # the kind of problem that left it unannotated
    remote: bool = False

    @property
    def duration(self) -> float | None:
        return self.metadata.duration if self.metadata else None


@dataclass(frozen=True)
class AudioTableInfo:
    """One audio table of a page, for templates: ``{{ table.summary }}``."""

    clips: tuple[ClipInfo, ...]

    @property
    def count(self) -> int:
        return len(self.clips)

    @property
    def duration(self) -> float | None:
        """Total length, or None when any clip's length is unknown."""
        durations = [clip.duration for clip in self.clips]
        if any(d is None for d in durations):
            return None
        return sum(d for d in durations if d is not None)

    @property
    def summary(self) -> str:
        return clips_summary(self.count, self.duration)


@dataclass(frozen=True)
class PageWork:
    """One page to annotate: everything the pipeline needs, nothing of Pelican's."""

    html: str
    page: PageRef
    settings: AudioTableSettings


@dataclass(frozen=True)
class ProcessedPage:
    """A page after the pipeline: its annotated HTML, its tables, what went wrong."""

    html: str
    tables: Sequence[AudioTableInfo]
    problems: tuple[Problem, ...]
    #: The page's JSON-LD ``<script>``, for its head (empty when none).
    jsonld: str = ""


class PickledTables(Sequence[AudioTableInfo]):
    """A page's tables as the page cache keeps them, unpickled when first read.

    Most themes never read them, and unpickling every clip of every page was half
    of what a warm build spent in the plugin.
    """

    def __init__(self, pickled: bytes) -> None:
        self.pickled = pickled
        self._tables: tuple[AudioTableInfo, ...] | None = None

    @classmethod
    def of(cls, tables: Sequence[AudioTableInfo]) -> PickledTables:
        return cls(pickle.dumps(tuple(tables), pickle.HIGHEST_PROTOCOL))

    @property
    def tables(self) -> tuple[AudioTableInfo, ...]:
        if self._tables is None:
            self._tables = pickle.loads(self.pickled)
        return self._tables

    @overload
    def __getitem__(self, index: int) -> AudioTableInfo: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[AudioTableInfo]: ...
    def __getitem__(self, index: int | slice) -> object:
        return self.tables[index]

    def __len__(self) -> int:
        return len(self.tables)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"PickledTables({list(self)!r})"

    def __reduce__(self) -> tuple[type, tuple[bytes]]:
        return PickledTables, (self.pickled,)  # kept pickled, even once read
