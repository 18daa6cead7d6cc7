"""One page's way through the stages, in two steps: prepare (find → resolve),
then finish (annotate → render) with what the build learnt of its clips. Between
them the build learns every clip of every page at once (:mod:`.build`).

Pure: HTML and clip facts in, HTML out; no file is read here. Only the tables that
may hold clips are parsed; the rest of the page is passed through untouched, byte
for byte. Each table is worked on behind a guard: whatever one holds, it is left as
written with one problem, and the rest of the page goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .annotate.fairness import unfair_rows
from .annotate.tables import annotate_table, page_jsonld
from .blind.leaks import trial_leaks
from .blind.results import Results
from .blind.tables import (
    BLIND_CLASS,
    BlindClip,
    Trial,
    blind_question,
    blind_table,
    question_of,
    trials_of,
    why_not_blind,
)
from .errors import ClipError
from .find.clips import FoundClip, FoundTable, ParsedFragment, find_clips, parse_tables
from .find.grid import regroup_by_prefix
from .find.resolve import ResolvedClip, SiteFiles, first_playable_source
from .find.tables import scan_page
from .log import get_logger
from .markup.tree import Element, Raw, serialize
from .model import (
    COPIES,
    PUBLISHED,
    SPECTRA,
    AudioTableInfo,
    ClipFacts,
    ClipInfo,
    ClipMetadata,
    MadeCopy,
    PageRef,
    Problem,
    ProblemKind,
    ProcessedPage,
    Unreadable,
)
from .settings import AudioTableSettings

logger = get_logger(__name__)

Facts = Mapping[Path, ClipFacts]
"""What the build learnt of each clip file the page uses (a file missing here
could not be read)."""
TrialFiles = tuple[Path, ...]
"""A blind trial, as its clip files in the order the table holds them."""
Copies = Mapping[TrialFiles, Sequence["MadeCopy | Unreadable"]]
"""Each blind trial's copies, one a clip (or why there is none)."""


@dataclass
class PreparedTable:
    found: FoundTable
    resolved: list[ResolvedClip]  # one per clip of ``found``
    #: A blind table's question ("": from its labels); None for an open table.
    blind: str | None = None
    #: The table's own say on the fairness note (a marker), or None.
    note: bool | None = None

    def trials(self) -> list[TrialFiles]:
        """Its blind trials' clip files, as :func:`~.blind.tables.trials_of` groups them
        (by labels alone: the same before the clips are learnt and after)."""
        clips = [_labels(clip) for clip in self.found.clips]
        trials = [
            [self.resolved[i].path for i in trial.clips] for trial in trials_of(clips)
        ]
        return [tuple(p for p in paths if p) for paths in trials if all(paths)]


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

    def blind_trials(self) -> set[TrialFiles]:
        """The trials of the tables asked to be blind: what needs copies."""
        return {
            trial
            for span in self.spans
            for table in span.tables
            if table.blind is not None
            for trial in table.trials()
        }


def process_page(
    html: str,
    page: PageRef,
    site: SiteFiles,
    read: Callable[[Path], ClipMetadata],
    settings: AudioTableSettings,
) -> ProcessedPage:
    """A page's whole way, its clips read here by ``read``, which raises
    :class:`ClipError` when it cannot: for one page outside a build (tests,
    benchmarks; no blind table is made without its copies)."""
    prepared = prepare_page(html, page, site, settings)
    facts: dict[Path, ClipFacts] = {}
    for path in prepared.clip_files():
        try:
            facts[path] = ClipFacts(read(path))
        except ClipError as error:
            facts[path] = ClipFacts(Unreadable(error.kind, str(error), error.tags))
    return finish_page(prepared, facts, {})


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
            blind = blind_question(settings.blind, span.markers.blind)
            note = span.markers.fairness_note
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
    prepared: PreparedPage,
    facts: Facts,
    copies: Copies,
    results: Results | None = None,
) -> ProcessedPage:
    """What was learnt of every clip, written into the page's tables (with the
    readers' results of its blind tables)."""
    html, page, settings = prepared.html, prepared.page, prepared.settings
    pieces: list[str] = []
    tables: list[AudioTableInfo] = []
    problems = list(prepared.problems)
    files: list[str] = []  # what it plays or shows from the clip store
    names: set[str] = set()  # the players' names on the page, each once
    spans: list[tuple[int, int]] = []  # where the tables are in what is written
    done = written = 0
    for span in prepared.spans:
        found_problems: list[Problem] = []
        try:
            span_tables: list[AudioTableInfo] = []
            span_files: list[str] = []
            for table in span.tables:
                clips = [
                    _clip_info(clip, resolved, page, facts, settings, found_problems)
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
                    blinded = _blinded(
                        table, clips, prepared, copies, found_problems, number, results
                    )
                    if blinded is not None:
                        span_tables.append(blinded[0])
                        span_files += [f"{COPIES}/{name}" for name in blinded[1]]
                        continue
                span_tables.append(
                    annotate_table(
                        table.found,
                        clips,
                        settings,
                        unfair if _noted(table, settings) else (),
                        names,
                        number,
                        published_url(prepared, ""),
                    )
                )
                span_files += [
                    f"{SPECTRA}/{clip.metadata.analysis.spectrum}"
                    for clip in clips
                    if clip.metadata
                    and clip.metadata.analysis
                    and clip.metadata.analysis.spectrum
                ]
            serialized = serialize(span.fragment.root)
        except Exception as error:
            problems.append(_left_as_written(page, error))
            continue
        tables += span_tables
        files += span_files
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
        tuple(dict.fromkeys(files)),
        tuple(spans),
    )


def _blinded(
    table: PreparedTable,
    clips: list[ClipInfo],
    prepared: PreparedPage,
    copies: Copies,
    problems: list[Problem],
    number: int,
    results: Results | None = None,
) -> tuple[AudioTableInfo, list[str]] | None:
    """The table written anew as a blind test (the page's table ``number``),
    playing each trial's copies; None, with a problem, when it cannot be (it is
    then annotated as an open table). What still tells a trial's copies apart is
    reported: the leak audit."""
    trials = trials_of(clips)
    reason = why_not_blind(clips, trials)
    played: list[tuple[Trial, list[BlindClip]]] = []
    names: list[str] = []
    for trial in trials if reason is None else ():
        paths = tuple(p for i in trial.clips if (p := table.resolved[i].path))
        made = copies.get(paths, ())
        members = []
        for index, copy in zip(trial.clips, made, strict=False):
            if isinstance(copy, Unreadable):
                reason = f"its clip {clips[index].src!r} has no copy: {copy.message}"
                break
            url = published_url(prepared, f"{COPIES}/{copy.name}")
            members.append(BlindClip(clips[index], url, copy))
            names.append(copy.name)
        if reason is None and len(members) < len(trial.clips):
            reason = "this build makes no copies of its clips"
        if reason is not None:
            break
        played.append((trial, members))
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
    where = _table_name(table.found.element, number)
    audit = []
    for count, (trial, members) in enumerate(played, 1):
        leaks = trial_leaks([member.copy for member in members])
        named = f", trial {trial.heading[:40]!r}" if trial.heading else ""
        audit.append(
            f"trial {count}{f' ({trial.heading})' if trial.heading else ''}: "
            + ("; ".join(leaks) if leaks else "no leaks")
        )
        if leaks:
            problems.append(
                Problem(
                    prepared.page.source_path,
                    None,
                    ProblemKind.LEAK,
                    f"blind {where}{named}: its copies can be told apart without "
                    f"listening, by their {'; '.join(leaks)}",
                )
            )
    if prepared.settings.study == "sealed" and not prepared.settings.study_secret:
        problems.append(
            Problem(
                prepared.page.source_path,
                None,
                ProblemKind.LEAK,
                f"blind {where}: a sealed study without AUDIOTABLE_STUDY_SECRET: "
                "its salt comes from its originals alone, which the site publishes, "
                "so a reader who finds them can work out its answer from the "
                "commitment",
            )
        )
    question = question_of(trials, table.blind or "")
    noted = replace(prepared.settings, fairness_note=_noted(table, prepared.settings))
    written = blind_table(played, question, noted, number, results)
    problems += [
        Problem(
            prepared.page.source_path,
            None,
            ProblemKind.RESULTS,
            f"blind {where}: a reader's result is not counted: {why}",
        )
        for why in written.refused
    ]
    table.found.element.replace_with(Raw(written.html))
    info = AudioTableInfo(tuple(written.shown), blind=True, audit=tuple(audit))
    return info, names


def published_url(prepared: PreparedPage, name: str) -> str:
    """Where a page finds a file the build publishes (``blind/…``, ``spectra/…``;
    "": their folder): below ``SITEURL`` when there is one, else relative to the
    page, which works wherever the site is served."""
    where = f"{PUBLISHED}/{name}" if name else PUBLISHED
    if prepared.site_url:
        return f"{prepared.site_url}/{where}"
    return "../" * prepared.page.save_as.count("/") + where


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


def _clip_info(
    clip: FoundClip,
    resolved: ResolvedClip,
    page: PageRef,
    facts: Facts,
    settings: AudioTableSettings,
    problems: list[Problem],
) -> ClipInfo:
    """One resolved clip with what was learnt of it, recording its problems."""
    labels = _labels(clip)
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
                resolved.problem or ProblemKind.MISSING,
                resolved.message or "not found",
                resolved.folder,
            )
        )
        return replace(labels, error=resolved.problem or ProblemKind.MISSING)
    learnt = facts.get(resolved.path)
    # Templates see where the clip lies in the site, not on this machine.
    shown = (
        learnt.shown(resolved.source or "", settings.decodes)
        if learnt
        else Unreadable(ProblemKind.UNREADABLE, "cannot read the file")
    )
    if isinstance(shown, Unreadable):
        problems.append(Problem(page.source_path, clip.src, shown.kind, shown.message))
        return replace(labels, url=resolved.url, error=shown.kind)
    for note in shown.notes:
        noted = (
            ProblemKind.TRUNCATED
            if note.startswith("truncated")
            else ProblemKind.SUSPECT
        )
        problems.append(Problem(page.source_path, clip.src, noted, note))
    silent = _silence(shown)
    if silent and not shown.notes:  # one warning a clip
        problems.append(
            Problem(page.source_path, clip.src, ProblemKind.SUSPECT, silent)
        )
    return replace(labels, url=resolved.url, metadata=shown)


def _labels(clip: FoundClip) -> ClipInfo:
    """A clip as its table labels it, nothing learnt yet."""
    return ClipInfo(
        src=clip.src,
        label=clip.label,
        row_label=clip.row_label,
        column_label=clip.column_label,
        row=clip.row,
    )


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
