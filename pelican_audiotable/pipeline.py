"""A page's way through the stages, in two steps: prepare (find → resolve), then
finish (read → annotate). Between them the build learns every clip the pages use
at once, in parallel where there are many.

File reading comes in as a function, so this runs (and is tested) without Pelican.
Only the tables that may hold clips are parsed; the rest of the page is passed
through untouched, byte for byte. Each table is worked on behind a guard: whatever
one holds, it is left as written with one problem, and the rest of the page goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .annotate import annotate_table, page_jsonld
from .discover import FoundClip, FoundTable, ParsedFragment, find_clips, parse_tables
from .errors import ClipError
from .fairness import unfair_rows
from .grid import regroup_by_prefix
from .log import get_logger
from .markup import serialize
from .model import (
    AudioTableInfo,
    ClipInfo,
    ClipMetadata,
    PageRef,
    Problem,
    ProblemKind,
    ProcessedPage,
)
from .resolve import ResolvedClip, SiteFiles, first_playable_source
from .scan import table_spans
from .settings import AudioTableSettings

logger = get_logger(__name__)

ReadClip = Callable[[Path], ClipMetadata]
"""Reads one clip file; raises :class:`ClipError` when it cannot."""


@dataclass
class PreparedTable:
    found: FoundTable
    resolved: list[ResolvedClip]  # one per clip of ``found``


@dataclass
class PreparedSpan:
    """One top-level table of the page (with any nested in it), parsed."""

    start: int
    end: int
    fragment: ParsedFragment
    tables: list[PreparedTable]


@dataclass
class PreparedPage:
    """A page whose clips are found and resolved: what the build must learn."""

    html: str
    page: PageRef
    settings: AudioTableSettings
    spans: list[PreparedSpan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def clips(self) -> Iterator[tuple[FoundClip, ResolvedClip]]:
        for span in self.spans:
            for table in span.tables:
                yield from zip(table.found.clips, table.resolved, strict=True)

    def clip_files(self) -> set[Path]:
        return {resolved.path for _, resolved in self.clips() if resolved.path}


def process_page(
    html: str,
    page: PageRef,
    site: SiteFiles,
    read: ReadClip,
    settings: AudioTableSettings,
) -> ProcessedPage:
    """Annotate every audio table of a page's HTML."""
    return finish_page(prepare_page(html, page, site, settings), read)


def prepare_page(
    html: str, page: PageRef, site: SiteFiles, settings: AudioTableSettings
) -> PreparedPage:
    """Find every audio table of a page, and resolve each clip to its file."""
    prepared = PreparedPage(html, page, settings)
    for span in table_spans(html):
        try:
            fragment = parse_tables(html[span.start : span.end])
            tables = []
            for found in fragment.tables:
                if settings.grid == "prefix" and regroup_by_prefix(found):
                    found = find_clips(found.element)
                resolved = [
                    first_playable_source(c.sources, page, site) for c in found.clips
                ]
                tables.append(PreparedTable(found, resolved))
        except Exception as error:  # whatever a page holds, the build goes on
            prepared.problems.append(_left_as_written(page, error))
            continue
        if tables:
            prepared.spans.append(PreparedSpan(span.start, span.end, fragment, tables))
    return prepared


def finish_page(prepared: PreparedPage, read: ReadClip) -> ProcessedPage:
    """Read every clip and write what was learnt into the page's tables."""
    html, page, settings = prepared.html, prepared.page, prepared.settings
    pieces: list[str] = []
    tables: list[AudioTableInfo] = []
    problems = list(prepared.problems)
    done = 0
    for span in prepared.spans:
        found_problems: list[Problem] = []
        try:
            span_tables = []
            for table in span.tables:
                clips = [
                    _learn(clip, resolved, page, read, found_problems)
                    for clip, resolved in zip(
                        table.found.clips, table.resolved, strict=True
                    )
                ]
                unfair = unfair_rows(clips)
                found_problems += [
                    Problem(page.source_path, None, ProblemKind.UNFAIR, finding)
                    for finding in unfair
                ]
                span_tables.append(annotate_table(table.found, clips, settings, unfair))
            serialized = serialize(span.fragment.root)
        except Exception as error:
            problems.append(_left_as_written(page, error))
            continue
        tables += span_tables
        problems += found_problems
        pieces += [html[done : span.start], serialized]
        done = span.end
    if not tables:
        return ProcessedPage(html, (), tuple(problems))
    pieces.append(html[done:])
    jsonld = page_jsonld(tables) if settings.jsonld else ""
    return ProcessedPage("".join(pieces), tuple(tables), tuple(problems), jsonld)


def _left_as_written(page: PageRef, error: Exception) -> Problem:
    return Problem(
        page.source_path,
        None,
        ProblemKind.UNREADABLE,
        "a table could not be annotated and is left as written "
        f"({type(error).__name__}: {str(error)[:80]})",
    )


def _learn(
    clip: FoundClip,
    resolved: ResolvedClip,
    page: PageRef,
    read: ReadClip,
    problems: list[Problem],
) -> ClipInfo:
    """Read one resolved clip, recording its problems."""
    labels = ClipInfo(
        src=clip.src,
        label=clip.label,
        row_label=clip.row_label,
        column_label=clip.column_label,
    )
    if resolved.remote:
        logger.info(
            "%s: clip %r is remote; left as written",
            page.source_path,
            clip.src,
        )
        return replace(labels, url=resolved.url, remote=True)
    if resolved.path is None:
        problems.append(
            Problem(
                page.source_path,
                clip.src,
                ProblemKind(resolved.problem or "missing"),
                resolved.message or "not found",
                resolved.folder,
            )
        )
        return replace(labels, error=resolved.problem or "missing")
    try:
        metadata = read(resolved.path)
    except ClipError as error:
        kind = ProblemKind(error.kind)
        problems.append(Problem(page.source_path, clip.src, kind, str(error)))
        return replace(labels, url=resolved.url, error=error.kind)
    for note in metadata.notes:
        noted = (
            ProblemKind.TRUNCATED
            if note.startswith("truncated")
            else ProblemKind.SUSPECT
        )
        problems.append(Problem(page.source_path, clip.src, noted, note))
    return replace(labels, url=resolved.url, metadata=metadata)
