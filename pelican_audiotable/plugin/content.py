"""Pelican's content in and out: the articles and pages collected from the
generators, the ones that may hold a clip handed to the build, and each given its
annotated HTML, its tables and a summary back. The build and its stages are loaded
here, and only when a page may hold a clip: Pelican imports the plugin on every
build, also of sites without one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pelican import __version__ as pelican_version
from pelican import utils
from pelican.generators import ArticlesGenerator, PagesGenerator
from pelican.utils import truncate_html_paragraphs, truncate_html_words

from ..errors import BlindTestError, SettingsError, StrictModeError
from ..find.tables import might_hold_clips
from ..log import get_logger
from ..settings import AudioTableSettings
from . import site
from .assets import holds_blind_table
from .site import PublishedSite
from .teasers import with_tables_as_teasers

if TYPE_CHECKING:  # the stores and the stages load when a page may hold a clip
    from ..build import KeptResults, PageWork, Stores
    from ..learn.pool import Jobs
    from ..model import Problem, ProcessedPage
    from ..stores.pages import PageStore

logger = get_logger(__name__)


#: Every list a generator keeps content in: drafts, hidden and translations too.
CONTENT_LISTS = (
    "articles",
    "translations",
    "drafts",
    "drafts_translations",
    "hidden_articles",
    "hidden_translations",
    "pages",
    "hidden_pages",
    "draft_pages",
    "draft_translations",
)


@dataclass(frozen=True)
class Annotated:
    """What annotating a site's content gives, besides the content itself."""

    problems: list[Problem]
    #: Whether any page shows an audio table (only then are the assets published).
    has_tables: bool = False
    #: The files pages play or show from the clip store (copies, spectrograms).
    published: frozenset[str] = frozenset()


def annotate_generators(
    generators: list[Any],
    settings: AudioTableSettings,
    stores: Callable[[], Stores],
    jobs: Callable[[], Jobs],
) -> Annotated:
    """Annotate every article and page the generators hold. The stores and the
    jobs are asked for only when a page may hold a clip."""
    contents = contents_of(generators)
    works = {
        index: page_work(content, settings)
        for index, content in enumerate(contents)
        # Most pages of most sites: no. The others are read (once) only if the
        # page store does not hold them as they are.
        if might_hold_clips(content._content or "")
    }
    if not works:  # most sites' most builds... or all of a site without clips
        for content in contents:
            content.audiotables, content.audiotable_jsonld = (), ""
            content.audiotable_blind = False
        return Annotated([])
    from ..build import build_pages, worker_count
    from ..model import ProcessedPage

    content_folder = Path(generators[0].settings["PATH"])
    results, problems = kept_results(content_folder / settings.results_file)
    kept = stores()
    done = build_pages(
        list(works.values()),
        PublishedSite(generators),
        kept,
        jobs,
        worker_count(settings.workers),
        site.code_version(),
        results,
    )
    processed = dict(zip(works, done, strict=True))
    for index, content in enumerate(contents):
        page = processed.get(index) or ProcessedPage(content._content or "", (), ())
        apply_processed(content, page, kept.pages)
        problems += page.problems
    if any(page.takes for page in done):
        from ..blind.tables import takes_across_pages

        sources = [works[index].page.source_path for index in processed]
        problems += takes_across_pages(
            [(source, page.takes) for source, page in zip(sources, done, strict=True)]
        )
    return Annotated(
        problems,
        has_tables=any(page.tables for page in done),
        published=frozenset(name for page in done for name in page.files),
    )


def open_stores(folder: Path | None, clips_version: str, pages_version: str) -> Stores:
    """The clip store and the page store kept in ``folder`` (None: kept nowhere,
    as ``check`` wants)."""
    from ..build import Stores
    from ..stores.clips import ClipStore
    from ..stores.pages import PageStore

    return Stores(ClipStore(folder, clips_version), PageStore(folder, pages_version))


def jobs_of(settings: AudioTableSettings) -> Jobs:
    """What learning a clip runs in this build: its decoding when it decodes."""
    from ..learn.jobs import jobs_for
    from ..learn.pool import DecodeBudget

    budget = DecodeBudget(settings.decode_budget, settings.decode_memory)
    return jobs_for(settings.decodes, budget)


def failing_problems(
    problems: Iterable[Problem], settings: AudioTableSettings
) -> list[Problem]:
    """The problems that fail a strict build, or ``check``."""
    from ..model import failing

    return failing(problems, settings.strict_fairness)


def warn_of(problems: list[Problem], settings: AudioTableSettings) -> None:
    """Each problem as one warning (a blind table that could not be built: an
    error); in strict mode, a failed build when any problem fails it, and in any
    mode when a study could not be built."""
    from ..log import ADVICE
    from ..model import ADVICE_KINDS, ProblemKind, warning_lines

    errors = {ProblemKind.NOT_BLIND, ProblemKind.STUDY_NOT_BUILT}
    advice = () if settings.strict_fairness else ADVICE_KINDS
    for problem in problems:  # advice first: what is wrong is said last
        if problem.kind in advice:
            logger.log(ADVICE, "%s", problem)
    wrong = [p for p in problems if p.kind not in errors and p.kind not in advice]
    for line in warning_lines(wrong):
        logger.warning("%s", line)
    for problem in problems:
        if problem.kind in errors:
            logger.error("%s", problem)
    studies = [p for p in problems if p.kind is ProblemKind.STUDY_NOT_BUILT]
    if studies:
        raise BlindTestError(
            "the build fails: a study's blind table could not be built (said "
            "above), and a study is never published otherwise"
        )
    fails = failing_problems(problems, settings)
    if fails and settings.strict:
        pages = len({problem.page for problem in fails})
        raise StrictModeError(
            f"the build fails: {_count(len(fails), 'problem')} on "
            f"{_count(pages, 'page')}, each warned about above "
            "(AUDIOTABLE_STRICT is on)",
            tuple(fails),
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def publish_copies(published: frozenset[str], stores: Stores, output: Path) -> None:
    """The files pages play or show from the clip store (blind copies,
    spectrograms), written into the site's output."""
    from ..build import publish_files
    from ..model import PUBLISHED

    publish_files(published, stores.clips, output / PUBLISHED)


def feed_without_reveals(feed: Any) -> None:
    """A feed's entries without the blind tables' reveals: a feed reader runs no
    script, and many show a ``<details>`` open (their players stay)."""
    from ..blind.tables import without_reveals

    for item in getattr(feed, "items", ()):
        for key in ("description", "content"):
            if isinstance(item.get(key), str):
                item[key] = without_reveals(item[key])


def kept_results(path: Path) -> tuple[KeptResults, list[Problem]]:
    """The readers' results kept in ``path`` (none when it is missing), and a
    problem for each token, or the file, that cannot be counted."""
    from ..blind.results import MOST_RESULTS_BYTES, BadToken, by_table, file_tokens
    from ..build import KeptResults
    from ..errors import ClipError
    from ..files import open_regular
    from ..model import Problem, ProblemKind

    try:
        with open_regular(path) as handle:  # a FIFO named so would hang the build
            data = handle.read(MOST_RESULTS_BYTES + 1)
    except FileNotFoundError:
        return KeptResults({}, ""), []
    except (OSError, ClipError) as error:
        data, why = b"", f"it cannot be read ({getattr(error, 'strerror', error)})"
    else:
        why = "" if len(data) <= MOST_RESULTS_BYTES else "it is over 64 MB"
    try:
        tokens = file_tokens(data.decode("utf-8", "replace")) if not why else []
    except BadToken as error:
        tokens, why = [], str(error)
    tables, refused = by_table(tokens)
    problems = [
        Problem(path.name, None, ProblemKind.RESULTS, f"a token is not counted: {r}")
        for r in refused
    ]
    if why:
        problems.append(Problem(path.name, None, ProblemKind.RESULTS, why))
    digest = hashlib.sha256(data).hexdigest()[:16]
    return KeptResults(tables, digest), problems


def contents_of(generators: list[Any]) -> list[Any]:
    seen: dict[int, Any] = {}
    for generator in generators:
        if not isinstance(generator, ArticlesGenerator | PagesGenerator):
            continue
        for name in CONTENT_LISTS:
            for content in getattr(generator, name, None) or []:
                seen.setdefault(id(content), content)
    return list(seen.values())


def page_work(content: Any, settings: AudioTableSettings) -> PageWork:
    """What the build needs of an article or page, with its own settings."""
    from ..build import PageWork
    from ..model import PageRef

    page = PageRef(
        source_path=content.get_relative_source_path(),
        url=content.url,
        save_as=content.save_as,
    )
    for name in ("grid", "study"):  # a choice, checked
        chosen = content.metadata.get(f"audiotable_{name}")
        if chosen is not None:
            try:
                choice: dict[str, Any] = {name: str(chosen).strip().lower()}
                settings = replace(settings, **choice)
            except SettingsError as error:
                if name == "study":  # never published as a self-test instead
                    raise SettingsError(f"{page.source_path}: {error}") from None
                logger.warning("%s: %s", page.source_path, error)
    blind = content.metadata.get("audiotable_blind")
    if blind is not None:
        try:
            settings = replace(settings, blind=str(blind))  # checked as it is set
        except SettingsError as error:  # blind all the same: its labels hidden
            logger.warning("%s: %s; asked from its labels", page.source_path, error)
            settings = replace(settings, blind="yes")
    note = content.metadata.get("audiotable_fairness_note")
    if note is not None:
        wanted = str(note).strip().lower() in ("yes", "true", "on", "1")
        settings = replace(settings, fairness_note=wanted)
    return PageWork(content._content or "", page, settings)


def apply_processed(
    content: Any, processed: ProcessedPage, pages: PageStore | None = None
) -> None:
    """Give an article or page its annotated HTML, its audio tables, and a summary
    that never cuts one of them (kept in the page store with the page)."""
    content.audiotables = processed.tables
    content.audiotable_jsonld = processed.jsonld
    # Its blind tables' stylesheet is linked only where one is (the bundled theme
    # asks this; under others, the page's HTML says it).
    content.audiotable_blind = holds_blind_table(processed.html)
    if processed.html != content._content:
        content._content = processed.html
        _forget_rendered(content)
    if processed.tables and "summary" not in content.metadata:
        recipe = _summary_recipe(content)
        summary = pages.summary(processed.key, recipe) if pages else None
        if summary is None:
            summary = _summary_of(content, processed)
            if pages is not None:
                pages.keep_summary(processed.key, recipe, summary)
        content.metadata["summary"] = summary


def _summary_recipe(content: Any) -> str:
    """What a page's summary depends on beyond the page itself: Pelican's limits
    and version, and where the page is (its teasers link to it)."""
    settings = content.settings
    parts = [
        pelican_version,
        settings.get("SUMMARY_MAX_PARAGRAPHS"),
        settings.get("SUMMARY_MAX_LENGTH"),
        settings.get("SUMMARY_END_SUFFIX", "…"),
        f"{content.get_siteurl()}/{content.url}",
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _summary_of(content: Any, processed: ProcessedPage) -> str:
    """Pelican's own summary (its word and paragraph limits, its table of contents
    left out), cut from the page with each audio table as a one-line teaser
    linking to it. Its links are Pelican's to rewrite: it does so for a summary
    set here right after this signal."""
    settings = content.settings
    url = f"{content.get_siteurl()}/{content.url}"
    html = with_tables_as_teasers(processed.html, processed.spans, url)
    if settings.get("SUMMARY_MAX_PARAGRAPHS") is not None:
        html = truncate_html_paragraphs(html, settings["SUMMARY_MAX_PARAGRAPHS"])
    if settings.get("SUMMARY_MAX_LENGTH") is not None:
        html = truncate_html_words(
            html,
            settings["SUMMARY_MAX_LENGTH"],
            settings.get("SUMMARY_END_SUFFIX", "…"),
        )
    strip_toc = getattr(utils, "strip_toc_elements_from_html", None)  # 4.12 on
    return str(strip_toc(html) if strip_toc else html)


def _forget_rendered(content: Any) -> None:
    """Drop Pelican's memoized content and summary of this object, if any."""
    for name in ("get_content", "get_summary"):
        memo = getattr(type(content), name, None)
        cache = getattr(memo, "cache", None)
        if isinstance(cache, dict):
            for key in [k for k in cache if k and k[0] is content]:
                del cache[key]
