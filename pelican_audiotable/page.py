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

from .annotate.fairness import ColumnRoles, unfair_rows
from .annotate.tables import annotate_table, page_jsonld
from .blind.answer import trial_salt
from .blind.results import Results
from .blind.tables import make_blind, not_built, not_built_kind
from .blind.trials import BLIND_CLASS, NOT_BUILT_HTML, blind_question, trials_of
from .errors import ClipError
from .find.clips import FoundClip, FoundTable, ParsedFragment, find_clips, parse_tables
from .find.grid import regroup_by_prefix
from .find.resolve import ResolvedClip, SiteFiles, first_playable_source
from .find.tables import BLIND_MARKER, scan_page
from .log import get_logger
from .markup.tree import Element, serialize
from .model import (
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
TrialFiles = tuple[str, tuple[Path, ...]]
"""A blind trial: its salt (see :func:`~.blind.answer.trial_salt`), and its clip
files in the order the table holds them."""
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
    #: Its place among the page's tables (1 for the first).
    number: int = 1

    def trials(self, page: PageRef, secret: str) -> list[TrialFiles]:
        """Its blind trials' clip files, as :func:`~.blind.trials.trials_of` groups them
        (by labels alone: the same before the clips are learnt and after)."""
        clips = [_labels(clip) for clip in self.found.clips]
        return [
            (
                trial_salt(page, self.number, index, secret),
                tuple(p for p in paths if p),
            )
            for index, trial in enumerate(trials_of(clips))
            if all(paths := [self.resolved[i].path for i in trial.clips])
        ]


@dataclass
class PreparedSpan:
    """One top-level table of the page (with any nested in it), parsed."""

    start: int
    end: int
    fragment: ParsedFragment | None
    tables: list[PreparedTable]
    #: What is written in its place instead: a blind table that could not be
    #: read is never left as written, open (None: the span is worked on).
    closed: str | None = None


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
            for trial in table.trials(self.page, self.settings.study_secret)
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
    rest: PreparedSpan | None = None  # what follows an unsure point, when closed
    if scan.unsure:
        offset, why = scan.unsure
        line = f"line {html.count(chr(10), 0, offset) + 1}: {why}, which browsers "
        after = html[offset:]
        if "<table" in after.lower() and (settings.blind or BLIND_MARKER in after):
            # A blind table there could not be written as blind: never left open.
            kind = not_built_kind(settings)
            rest = PreparedSpan(offset, len(html), None, [], NOT_BUILT_HTML)
            message = line + (
                "may read otherwise: the page asks for blind tables, and a note "
                "stands in the place of the rest of the page"
            )
        else:
            kind = ProblemKind.UNREADABLE
            message = (
                line + "may read otherwise; the tables after it are left as written"
            )
        prepared.problems.append(Problem(page.source_path, None, kind, message))
    for span in scan.spans:
        blind = blind_question(settings.blind, span.markers.blind)
        try:
            fragment = parse_tables(html[span.start : span.end])
            note = span.markers.fairness_note
            tables: list[PreparedTable] = []
            for found in fragment.tables:
                if BLIND_CLASS in found.element.classes():
                    continue  # blind already: written by this plugin, kept
                if settings.grid == "prefix" and regroup_by_prefix(found):
                    found = find_clips(found.element)
                resolved = [
                    first_playable_source(c.sources, page, site) for c in found.clips
                ]
                number = sum(len(s.tables) for s in prepared.spans) + len(tables) + 1
                tables.append(PreparedTable(found, resolved, blind, note, number))
        except Exception as error:  # whatever a page holds, the build goes on
            if blind is None:
                prepared.problems.append(_left_as_written(page, error))
            else:
                prepared.problems.append(_not_built(page, settings, error))
                prepared.spans.append(
                    PreparedSpan(span.start, span.end, None, [], NOT_BUILT_HTML)
                )
            continue
        if tables:
            prepared.spans.append(PreparedSpan(span.start, span.end, fragment, tables))
    if rest is not None:
        prepared.spans.append(rest)
    return prepared


def finish_page(
    prepared: PreparedPage,
    facts: Facts,
    copies: Copies,
    results: Results | None = None,
) -> ProcessedPage:
    """What was learnt of every clip, written into the page's tables (with the
    readers' results of its blind tables)."""
    html = prepared.html
    pieces: list[str] = []
    finished: list[FinishedTable] = []
    problems = list(prepared.problems)
    names: set[str] = set()  # the players' names on the page, each once
    spans: list[tuple[int, int]] = []  # where the tables are in what is written
    done = written = 0
    closed = False
    for span in prepared.spans:
        try:
            tables: list[FinishedTable] = []
            for table in span.tables:
                number = len(finished) + len(tables) + 1
                tables.append(
                    _finish_table(
                        table, number, prepared, facts, copies, results, names
                    )
                )
            serialized = span.closed or serialize(_fragment(span).root)
        except Exception as error:
            if not any(table.blind is not None for table in span.tables):
                problems.append(_left_as_written(prepared.page, error))
                continue
            problems.append(_not_built(prepared.page, prepared.settings, error))
            tables, serialized = [], NOT_BUILT_HTML
        finished += tables
        closed = closed or not tables  # a note in a blind table's place
        pieces.append(html[done : span.start])
        written += len(pieces[-1])
        spans.append((written, written + len(serialized)))
        pieces.append(serialized)
        written += len(serialized)
        done = span.end
    problems += [problem for table in finished for problem in table.problems]
    if not finished and not closed:
        return ProcessedPage(html, (), tuple(problems))
    pieces.append(html[done:])
    infos = [table.info for table in finished]
    open_tables = [info for info in infos if not info.blind]
    jsonld = page_jsonld(open_tables) if prepared.settings.jsonld else ""
    files = [name for table in finished for name in table.files]
    return ProcessedPage(
        "".join(pieces),
        tuple(infos),
        tuple(problems),
        jsonld,
        tuple(dict.fromkeys(files)),
        tuple(spans),
        takes=tuple(dict.fromkeys(t for table in finished for t in table.takes)),
    )


@dataclass(frozen=True)
class FinishedTable:
    """One table written: what templates see of it, the files it plays or shows
    from the clip store, and what is wrong with it."""

    info: AudioTableInfo
    files: tuple[str, ...]
    problems: tuple[Problem, ...]
    takes: tuple[tuple[str, str], ...] = ()


def _finish_table(
    table: PreparedTable,
    number: int,
    prepared: PreparedPage,
    facts: Facts,
    copies: Copies,
    results: Results | None,
    names: set[str],
) -> FinishedTable:
    """The page's table ``number`` annotated, or written anew as a blind test."""
    page, settings = prepared.page, prepared.settings
    learnt = [
        _clip_info(clip, resolved, page, facts, settings)
        for clip, resolved in zip(table.found.clips, table.resolved, strict=True)
    ]
    clips = [clip for clip, _ in learnt]
    problems = [problem for _, found in learnt for problem in found]
    unfair = unfair_rows(
        clips, ColumnRoles(settings.reference_columns, settings.contender_columns)
    )
    where = _table_name(table.found.element, number)
    problems += [
        Problem(page.source_path, None, ProblemKind.UNFAIR, f"{where}: {finding}")
        for finding in unfair
    ]
    noted = settings.fairness_note if table.note is None else table.note
    if table.blind is not None:
        try:
            secret = settings.study_secret
            blinded = make_blind(
                table.found.element,
                clips,
                [resolved.path for resolved in table.resolved],
                lambda trial, files: copies.get(
                    (trial_salt(page, table.number, trial, secret), files), ()
                ),
                table.blind,
                replace(settings, fairness_note=noted),
                page,
                where,
                number,
                lambda name: published_url(prepared, name),
                results,
            )
        except Exception as error:  # never published open
            why = f"{type(error).__name__}: {str(error)[:80]}"
            blinded = not_built(table.found.element, settings, page, where, why)
        problems += blinded.problems
        return FinishedTable(
            blinded.info, blinded.copies, tuple(problems), blinded.takes
        )
    info = annotate_table(
        table.found,
        clips,
        settings,
        unfair if noted else (),
        names,
        number,
        published_url(prepared, ""),
    )
    spectra = tuple(
        f"{SPECTRA}/{clip.metadata.analysis.spectrum}"
        for clip in clips
        if clip.metadata and clip.metadata.analysis and clip.metadata.analysis.spectrum
    )
    return FinishedTable(info, spectra, tuple(problems))


def published_url(prepared: PreparedPage, name: str) -> str:
    """Where a page finds a file the build publishes (``blind/…``, ``spectra/…``;
    "": their folder): below ``SITEURL`` when there is one, else relative to the
    page, which works wherever the site is served."""
    where = f"{PUBLISHED}/{name}" if name else PUBLISHED
    if prepared.site_url:
        return f"{prepared.site_url}/{where}"
    return "../" * prepared.page.save_as.count("/") + where


def _table_name(table: Element, number: int) -> str:
    """A table as messages name it: its caption, or its place on the page."""
    caption = next(iter(table.elements("caption")), None)
    text = caption.text() if caption is not None else ""
    return f"table {number} ({text[:60]})" if text else f"table {number}"


def _fragment(span: PreparedSpan) -> ParsedFragment:
    assert span.fragment is not None  # a span without one is closed
    return span.fragment


def _not_built(
    page: PageRef, settings: AudioTableSettings, error: Exception
) -> Problem:
    return Problem(
        page.source_path,
        None,
        not_built_kind(settings),
        "a table asked to be blind could not be built, and a note stands in its "
        f"place ({type(error).__name__}: {str(error)[:80]})",
    )


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
) -> tuple[ClipInfo, list[Problem]]:
    """One resolved clip with what was learnt of it, and its problems."""
    labels = _labels(clip)

    def problem(kind: ProblemKind, message: str, folder: str | None = None) -> Problem:
        return Problem(page.source_path, clip.src, kind, message, folder)

    if resolved.remote:
        logger.info(
            "%s: clip %r is remote; left as written", page.source_path, clip.src
        )
        return replace(labels, url=resolved.url, remote=True), []
    if resolved.path is None:
        kind = resolved.problem or ProblemKind.MISSING
        missing = problem(kind, resolved.message or "not found", resolved.folder)
        return replace(labels, error=kind), [missing]
    learnt = facts.get(resolved.path)
    # Templates see where the clip lies in the site, not on this machine.
    shown = (
        learnt.shown(resolved.source or "", settings.decodes)
        if learnt
        else Unreadable(ProblemKind.UNREADABLE, "cannot read the file")
    )
    if isinstance(shown, Unreadable):
        unreadable = problem(shown.kind, shown.message)
        return replace(labels, url=resolved.url, error=shown.kind), [unreadable]
    problems = [
        problem(
            ProblemKind.TRUNCATED
            if note.startswith("truncated")
            else ProblemKind.SUSPECT,
            note,
        )
        for note in shown.notes
    ]
    silent = _silence(shown)
    if silent and not shown.notes:  # one warning a clip
        problems.append(problem(ProblemKind.SUSPECT, silent))
    return replace(labels, url=resolved.url, metadata=shown), problems


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
