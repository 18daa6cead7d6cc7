"""A page's way through the stages: find → resolve → read → annotate.

File reading comes in as a function, so this runs (and is tested) without Pelican.
Only the tables that may hold clips are parsed; the rest of the page is passed
through untouched, byte for byte.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .annotate import annotate_table, page_jsonld
from .discover import FoundClip, ParsedFragment, find_clips, parse_tables
from .grid import regroup_by_prefix
from .markup import serialize
from .metadata import ClipError, ClipMetadata
from .model import AudioTableInfo, ClipInfo, Problem, ProcessedPage
from .resolve import PageRef, ResolvedClip, SiteFiles, resolve_clip
from .scan import table_spans
from .settings import AudioTableSettings

logger = logging.getLogger(__name__)

ReadClip = Callable[[Path], ClipMetadata]
"""Reads one clip file; raises :class:`ClipError` when it cannot."""

ParseTables = Callable[[str], ParsedFragment]
"""Parses a table span: :func:`parse_tables`, or one that has them parsed ahead."""


def process_page(
    html: str,
    page: PageRef,
    site: SiteFiles,
    read: ReadClip,
    settings: AudioTableSettings,
    parse: ParseTables = parse_tables,
) -> ProcessedPage:
    """Annotate every audio table of a page's HTML."""
    pieces: list[str] = []
    tables: list[AudioTableInfo] = []
    problems: list[Problem] = []
    done = 0
    for span in table_spans(html):
        fragment_html = html[span.start : span.end]
        found_problems: list[Problem] = []
        try:
            annotated = _annotate_span(
                fragment_html, page, site, read, settings, parse, found_problems
            )
        except Exception as error:  # whatever a page holds, the build goes on
            problems.append(
                Problem(
                    page.source_path,
                    None,
                    "unreadable",
                    "a table could not be annotated and is left as written "
                    f"({type(error).__name__}: {str(error)[:80]})",
                )
            )
            continue
        if annotated is None:
            continue
        serialized, span_tables = annotated
        tables += span_tables
        problems += found_problems
        pieces += [html[done : span.start], serialized]
        done = span.end
    if not tables:
        return ProcessedPage(html, (), tuple(problems))
    pieces.append(html[done:])
    jsonld = page_jsonld(tables) if settings.jsonld else ""
    return ProcessedPage("".join(pieces), tuple(tables), tuple(problems), jsonld)


def _annotate_span(
    fragment_html: str,
    page: PageRef,
    site: SiteFiles,
    read: ReadClip,
    settings: AudioTableSettings,
    parse: ParseTables,
    problems: list[Problem],
) -> tuple[str, list[AudioTableInfo]] | None:
    """One top-level table (and the tables inside it), annotated; None when it
    holds no clip."""
    fragment = parse(fragment_html)
    soup = fragment.soup
    if not fragment.tables:
        return None
    tables = []
    for found in fragment.tables:
        if settings.grid == "prefix" and regroup_by_prefix(soup, found):
            found = find_clips(found.element)
        clips = [_learn(clip, page, site, read, problems) for clip in found.clips]
        tables.append(annotate_table(soup, found, clips, settings))
    return serialize(soup), tables


def _learn(
    clip: FoundClip,
    page: PageRef,
    site: SiteFiles,
    read: ReadClip,
    problems: list[Problem],
) -> ClipInfo:
    """Resolve and read one clip, recording its problems."""
    labels = ClipInfo(
        src=clip.src,
        label=clip.label,
        row_label=clip.row_label,
        column_label=clip.column_label,
    )
    resolved = _first_playable_source(clip, page, site)
    if resolved.remote:
        logger.info(
            "audiotable: %s: clip %r is remote; left as written",
            page.source_path,
            clip.src,
        )
        return replace(labels, url=resolved.url, remote=True)
    if resolved.path is None:
        problems.append(
            Problem(
                page.source_path,
                clip.src,
                resolved.problem or "missing",
                resolved.message or "not found",
            )
        )
        return replace(labels, error=resolved.problem or "missing")
    try:
        metadata = read(resolved.path)
    except ClipError as error:
        problems.append(Problem(page.source_path, clip.src, error.kind, str(error)))
        return replace(labels, url=resolved.url, error=error.kind)
    for note in metadata.notes:
        kind = "truncated" if note.startswith("truncated") else "suspect"
        problems.append(Problem(page.source_path, clip.src, kind, note))
    return replace(labels, url=resolved.url, metadata=metadata)


def _first_playable_source(
    clip: FoundClip, page: PageRef, site: SiteFiles
) -> ResolvedClip:
    """As the browser does: the first ``<source>`` that is there wins."""
    first: ResolvedClip | None = None
    for src in clip.sources:
        resolved = resolve_clip(src, page, site)
        if resolved.path is not None or resolved.remote:
            return resolved
        first = first or resolved
    assert first is not None
    return first
