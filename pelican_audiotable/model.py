"""The values that leave the pipeline: what templates and the command line see."""

from __future__ import annotations

from dataclasses import dataclass

from .metadata import ClipMetadata
from .render import clips_summary
from .resolve import PageRef
from .settings import AudioTableSettings


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one clip of one page: a warning (an error when strict)."""

    page: str  # the page's source path
    clip: str  # the clip as the author wrote it
    kind: str  # "missing", "unpublished", "outside", "corrupt", "truncated", …
    message: str

    def __str__(self) -> str:
        return f"{self.page}: clip {self.clip!r}: {self.message}"


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
    tables: tuple[AudioTableInfo, ...]
    problems: tuple[Problem, ...]
