"""A page's way through the stages, in two steps: prepare (find → resolve), then
finish (read → annotate). Between them the build learns every clip the pages use
at once, in parallel where there are many.

File reading comes in as a function, so this runs (and is tested) without Pelican.
Only the tables that may hold clips are parsed; the rest of the page is passed
through untouched, byte for byte. Each table is worked on behind a guard: whatever
one holds, it is left as written with one problem, and the rest of the page goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .annotate import annotate_table, page_jsonld
from .blind import (
    BLIND_CLASS,
    COPIES_FOLDER,
    BlindClip,
    blind_question,
    blind_table,
    question_of,
    trials_of,
    why_not_blind,
)
from .discover import FoundClip, FoundTable, ParsedFragment, find_clips, parse_tables
from .errors import ClipError
from .fairness import unfair_rows
from .grid import regroup_by_prefix
from .log import get_logger
from .markup import Element, Raw, serialize
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
from .scan import scan_page
from .settings import AudioTableSettings

logger = get_logger(__name__)

ReadClip = Callable[[Path], ClipMetadata]
"""Reads one clip file; raises :class:`ClipError` when it cannot."""
CopyClip = Callable[[Path], str]
"""Makes (once per content) a clip's untagged copy, for a blind table; returns its
file name, or raises :class:`ClipError` when it cannot."""


@dataclass
class PreparedTable:
    found: FoundTable
    resolved: list[ResolvedClip]  # one per clip of ``found``
    #: A blind table's question ("": from its labels); None for an open table.
    blind: str | None = None
    #: The table's own say on the fairness note (a marker), or None.
    note: bool | None = None


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
    site_url: str = ""
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
    copy: CopyClip | None = None,
) -> ProcessedPage:
    """Annotate every audio table of a page's HTML."""
    return finish_page(prepare_page(html, page, site, settings), read, copy)


def prepare_page(
    html: str,
    page: PageRef,
    site: SiteFiles,
    settings: AudioTableSettings,
) -> PreparedPage:
    """Find every audio table of a page, and resolve each clip to its file."""
    prepared = PreparedPage(html, page, settings, site.site_url)
    scan = scan_page(html)
    if scan.unsure:
        offset, why = scan.unsure
        prepared.problems.append(
            Problem(
                page.source_path,
                None,
                ProblemKind.UNREADABLE,
                f"line {html.count(chr(10), 0, offset) + 1}: {why}, which browsers "
                "may read otherwise; the tables after it are left as written",
            )
        )
    for span in scan.spans:
        try:
            fragment = parse_tables(html[span.start : span.end])
            blind = blind_question(settings.blind, span.comments)
            note = fairness_note_marker(span.comments)
            tables = []
            for found in fragment.tables:
                if BLIND_CLASS in found.element.classes():
                    continue  # blind already: written by this plugin, kept
                if settings.grid == "prefix" and regroup_by_prefix(found):
                    found = find_clips(found.element)
                resolved = [
                    first_playable_source(c.sources, page, site) for c in found.clips
                ]
                tables.append(PreparedTable(found, resolved, blind, note))
        except Exception as error:  # whatever a page holds, the build goes on
            prepared.problems.append(_left_as_written(page, error))
            continue
        if tables:
            prepared.spans.append(PreparedSpan(span.start, span.end, fragment, tables))
    return prepared


def finish_page(
    prepared: PreparedPage, read: ReadClip, copy: CopyClip | None = None
) -> ProcessedPage:
    """Read every clip and write what was learnt into the page's tables."""
    html, page, settings = prepared.html, prepared.page, prepared.settings
    pieces: list[str] = []
    tables: list[AudioTableInfo] = []
    problems = list(prepared.problems)
    copies: list[str] = []
    names: set[str] = set()  # the players' names on the page, each once
    spans: list[tuple[int, int]] = []  # where the tables are in what is written
    done = written = 0
    for span in prepared.spans:
        found_problems: list[Problem] = []
        try:
            span_tables: list[AudioTableInfo] = []
            span_copies: list[str] = []
            for table in span.tables:
                clips = [
                    _learn(clip, resolved, page, read, found_problems)
                    for clip, resolved in zip(
                        table.found.clips, table.resolved, strict=True
                    )
                ]
                number = len(tables) + len(span_tables) + 1
                unfair = unfair_rows(clips, settings.reference_columns)
                where = _table_name(table.found.element, number)
                found_problems += [
                    Problem(
                        page.source_path,
                        None,
                        ProblemKind.UNFAIR,
                        f"{where}: {finding}",
                    )
                    for finding in unfair
                ]
                if table.blind is not None:
                    blinded = _blinded(table, clips, prepared, copy, found_problems)
                    if blinded is not None:
                        span_tables.append(blinded[0])
                        span_copies += blinded[1]
                        continue
                span_tables.append(
                    annotate_table(
                        table.found,
                        clips,
                        settings,
                        unfair if _noted(table, settings) else (),
                        names,
                        number,
                    )
                )
            serialized = serialize(span.fragment.root)
        except Exception as error:
            problems.append(_left_as_written(page, error))
            continue
        tables += span_tables
        copies += span_copies
        problems += found_problems
        pieces.append(html[done : span.start])
        written += len(pieces[-1])
        spans.append((written, written + len(serialized)))
        pieces.append(serialized)
        written += len(serialized)
        done = span.end
    if not tables:
        return ProcessedPage(html, (), tuple(problems))
    pieces.append(html[done:])
    open_tables = [table for table in tables if not table.blind]
    jsonld = page_jsonld(open_tables) if settings.jsonld else ""
    return ProcessedPage(
        "".join(pieces),
        tuple(tables),
        tuple(problems),
        jsonld,
        tuple(copies),
        tuple(spans),
    )


def _blinded(
    table: PreparedTable,
    clips: list[ClipInfo],
    prepared: PreparedPage,
    copy: CopyClip | None,
    problems: list[Problem],
) -> tuple[AudioTableInfo, list[str]] | None:
    """The table written anew as a blind test, playing untagged copies; None, with
    a problem, when it cannot be (it is then annotated as an open table)."""
    trials = trials_of(clips)
    reason = why_not_blind(clips, trials)
    names: list[str] = []
    if reason is None and copy is None:
        reason = "this build makes no untagged copies"
    elif reason is None and copy is not None:
        for clip, resolved in zip(clips, table.resolved, strict=True):
            assert resolved.path is not None  # read, so resolved to a file
            try:
                names.append(copy(resolved.path))
            except ClipError as error:
                reason = f"its clip {clip.src!r} has no untagged copy: {error}"
                break
    if reason is not None:
        problems.append(
            Problem(
                prepared.page.source_path,
                None,
                ProblemKind.NOT_BLIND,
                f"a table asked to be blind is left open: {reason}",
            )
        )
        return None
    blind_clips = [
        BlindClip(clip, _copy_url(name, prepared))
        for clip, name in zip(clips, names, strict=True)
    ]
    question = question_of(trials, table.blind or "")
    noted = replace(prepared.settings, fairness_note=_noted(table, prepared.settings))
    html, shown = blind_table(blind_clips, trials, question, noted)
    table.found.element.replace_with(Raw(html))
    return AudioTableInfo(tuple(shown), blind=True), names


def _copy_url(name: str, prepared: PreparedPage) -> str:
    """Where a page finds an untagged copy: below ``SITEURL`` when there is one,
    else relative to the page, which works wherever the site is served."""
    if prepared.site_url:
        return f"{prepared.site_url}/{COPIES_FOLDER}/{name}"
    depth = prepared.page.save_as.count("/")
    return "../" * depth + f"{COPIES_FOLDER}/{name}"


#: A table's own say on the fairness note: ``<!-- audiotable-fairness-note -->``
#: (or ``: off``) right before it, beside any other marker.
_NOTE_MARKER = re.compile(r"\s*audiotable-fairness-note(?:\s*:\s*(\w+))?\s*\Z")


def fairness_note_marker(comments: Sequence[str]) -> bool | None:
    for comment in comments:
        marker = _NOTE_MARKER.match(comment)
        if marker:
            return (marker[1] or "on").lower() not in ("off", "no", "false")
    return None


def _noted(table: PreparedTable, settings: AudioTableSettings) -> bool:
    return settings.fairness_note if table.note is None else table.note


def _table_name(table: Element, number: int) -> str:
    """A table as messages name it: its caption, or its place on the page."""
    caption = next(iter(table.elements("caption")), None)
    text = caption.text() if caption is not None else ""
    return f"table {number} ({text[:60]})" if text else f"table {number}"


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
        row=clip.row,
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
        # Templates see where the clip lies in the site, not on this machine.
        metadata = replace(read(resolved.path), path=resolved.source or "")
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
    silent = _silence(metadata)
    if silent and not metadata.notes:  # one warning a clip
        problems.append(
            Problem(page.source_path, clip.src, ProblemKind.SUSPECT, silent)
        )
    return replace(labels, url=resolved.url, metadata=metadata)


#: A clip whose loudest sample is below this (dBFS) is silence: a broken export.
SILENT_PEAK = -60.0


def _silence(metadata: ClipMetadata) -> str | None:
    """Why a decoded clip seems to hold no sound, or None."""
    analysis = metadata.analysis
    if analysis is None:
        return None
    peak = analysis.sample_peak
    if peak is None:
        return "silent: every sample is zero (a broken export?)"
    if peak < SILENT_PEAK:
        return f"silent: its loudest sample is {peak:.0f} dBFS (a broken export?)"
    return None
