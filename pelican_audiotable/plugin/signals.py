"""Pelican's side, and the one module that knows Pelican: signals in, annotated
content out, and ``check``, which has Pelican read a site without writing it. The
build's order itself is :mod:`.build`'s.

Content is rewritten at ``all_generators_finalized``: Pelican's content cache is saved
before it (so cached objects never hold our output), and the static files are known
by then, so a clip is checked against what the site really publishes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pelican import Pelican, signals
from pelican.contents import Content
from pelican.generators import ArticlesGenerator, PagesGenerator, StaticGenerator
from pelican.plugins import jinja_filters
from pelican.settings import read_settings
from pelican.utils import truncate_html_paragraphs, truncate_html_words

from .._version import __version__
from ..errors import SettingsError, StrictModeError
from ..find.tables import might_hold_clips
from ..log import get_logger, quiet_tracebacks_of_ours
from ..settings import AudioTableSettings
from .assets import (
    ASSETS_FOLDER,
    AssetLinkingTemplate,
    bundled_theme,
    publish_assets,
)
from .filters import FILTERS

if TYPE_CHECKING:  # the stores and the stages load when a page holds a clip
    from ..build import KeptResults, PageWork, Stores
    from ..find.resolve import SiteFiles
    from ..learn.pool import Jobs
    from ..model import AudioTableInfo, Problem, ProcessedPage

logger = get_logger(__name__)


@functools.cache
def code_version(suffixes: tuple[str, ...] = (".py", ".js", ".css")) -> str:
    """The package version and a digest of its own code: what the stores are
    stamped with, so that a checkout changed without a new version number (an
    editable install, a ``git pull``) never shows what old code wrote. The clip
    store takes only the Python's: a stylesheet changes no clip's facts."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(Path(__file__).parent.parent.rglob("*")):
        if path.suffix in suffixes and "__pycache__" not in path.parts:
            digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


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


@dataclass
class _Build:
    settings: AudioTableSettings = field(default_factory=AudioTableSettings)
    #: Where the stores are kept (``CACHE_PATH/audiotable``), if anywhere.
    folder: Path | None = None
    #: Link the CSS/JS into written pages (the bundled theme links them itself).
    link_assets: bool = False
    #: The files pages play or show from the clip store (copies, spectrograms).
    published: set[str] = field(default_factory=set)
    #: Whether any page shows an audio table: only then are the assets published.
    has_tables: bool = False
    _stores: Stores | None = None

    def stores(self) -> Stores:
        """The stores, opened when a page first may hold a clip: a site without
        audio tables loads none of them."""
        if self._stores is None:
            from ..build import Stores
            from ..stores.clips import ClipStore
            from ..stores.pages import PageStore

            self._stores = Stores(
                ClipStore(self.folder, code_version((".py",))),
                PageStore(self.folder, code_version()),
            )
        return self._stores

    def jobs(self) -> Jobs:
        from ..learn.jobs import jobs_for
        from ..learn.pool import DecodeBudget

        if self.settings.analysis and not self.settings.decodes:
            logger.warning(
                "loudness matching and waveforms are off: their libraries are "
                "not installed (pip install av numpy scipy turns them on; "
                "AUDIOTABLE_ANALYSIS = False says no to them)"
            )
        budget = DecodeBudget(self.settings.decode_budget, self.settings.decode_memory)
        return jobs_for(self.settings.decodes, budget)


_build = _Build()


@dataclass(frozen=True)
class BuildCounts:
    """What the last build did, for tests and benchmarks to read."""

    pages_served: int  # from the page store, not parsed again
    pages_annotated: int  # parsed and annotated anew
    clips_hashed: int
    clips_read: int  # read (and decoded, with analysis) anew


def last_build() -> BuildCounts:
    """The counts of the last build in this process (zeros before any)."""
    stores = _build._stores
    if stores is None:
        return BuildCounts(0, 0, 0, 0)
    return BuildCounts(
        pages_served=stores.pages.hits,
        pages_annotated=stores.pages.misses,
        clips_hashed=stores.clips.hashed,
        clips_read=stores.clips.learnt,
    )


def register() -> None:
    quiet_tracebacks_of_ours()
    signals.initialized.connect(on_initialized)
    signals.generator_init.connect(on_generator_init)
    signals.all_generators_finalized.connect(on_all_generators_finalized)
    signals.finalized.connect(on_finalized)
    signals.feed_generated.connect(on_feed_generated)


def on_initialized(pelican: Any) -> None:
    """Read the settings and start a fresh build state (``pelican -r`` reuses us)."""
    global _build
    settings = AudioTableSettings.from_mapping(pelican.settings)
    folder = None
    if settings.cache and pelican.settings.get("CACHE_PATH"):
        folder = Path(pelican.settings["CACHE_PATH"]) / "audiotable"
    _build = _Build(
        settings=settings,
        folder=folder,
        link_assets=settings.assets and not _is_bundled_theme(pelican.settings),
    )
    if _is_bundled_theme(pelican.settings):
        # The bundled theme's own pages come with it: no setting to add, and none
        # that would break another theme (which has no 404 template).
        direct = pelican.settings.setdefault("DIRECT_TEMPLATES", [])
        if "404" not in direct:
            pelican.settings["DIRECT_TEMPLATES"] = [*direct, "404"]
    if settings.assets and _is_bundled_theme(pelican.settings):
        # The bundled theme links the files from every page; other themes get
        # them only when a page shows an audio table (see on_finalized).
        static_paths = pelican.settings.setdefault("THEME_STATIC_PATHS", [])
        if ASSETS_FOLDER not in static_paths:
            static_paths.append(ASSETS_FOLDER)


def _is_bundled_theme(settings: dict[str, Any]) -> bool:
    try:
        theme = Path(bundled_theme()).resolve()
        return Path(settings.get("THEME", "")).resolve() == theme
    except (FileNotFoundError, OSError):
        return False


def on_generator_init(generator: Any) -> None:
    """Register the plugin's filters, and pelican-jinja-filters' that the theme uses
    (a site that lists PLUGINS would otherwise have to list both); under a theme of
    the site's own, have every rendered page link the CSS and JS it needs."""
    env = getattr(generator, "env", None)
    if env is not None:
        env.filters.update(FILTERS)
        jinja_filters.add_all_filters(generator)
        if _build.link_assets:
            env.template_class = AssetLinkingTemplate


def on_all_generators_finalized(generators: list[Any]) -> None:
    problems, _build.has_tables = annotate_generators(
        generators, _build.settings, _build.stores, _build.jobs, _build.published
    )
    if _build._stores is not None:  # opened: a page may hold a clip
        _build._stores.save()
    if not problems:
        return
    from ..model import failing, warning_lines

    for line in warning_lines(problems):
        logger.warning("%s", line)
    fails = failing(problems, _build.settings.strict_fairness)
    if fails and _build.settings.strict:
        pages = len({problem.page for problem in fails})
        raise StrictModeError(
            f"the build fails: {_count(len(fails), 'problem')} on "
            f"{_count(pages, 'page')}, each warned about above "
            "(AUDIOTABLE_STRICT is on)",
            tuple(fails),
        )


def on_feed_generated(context: Any, feed: Any) -> None:
    """A feed reader runs no script, and many show a ``<details>`` open: the blind
    tables' reveals are left out of every entry (their players stay)."""
    from ..blind.tables import without_reveals

    for item in getattr(feed, "items", ()):
        for key in ("description", "content"):
            if isinstance(item.get(key), str):
                item[key] = without_reveals(item[key])


def on_finalized(pelican: Any) -> None:
    """Publish the assets pages link (under a theme of the site's own, only when
    a page shows an audio table: a site without one is written as if the plugin
    were not there) and the blind tables' untagged copies, once the output
    folder is written (a build that cleans it first cleans it before this)."""
    if _build.link_assets and _build.has_tables:
        publish_assets(pelican.settings)
    if not _build.published or _build._stores is None:
        return
    from ..build import publish_files
    from ..model import PUBLISHED

    if not _build.settings.decodes:
        logger.info(
            "blind tables play at their published loudness: loudness matching needs "
            "pip install av numpy scipy and AUDIOTABLE_ANALYSIS on"
        )
    output = Path(pelican.settings["OUTPUT_PATH"])
    publish_files(_build.published, _build._stores.clips, output / PUBLISHED)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def annotate_generators(
    generators: list[Any],
    settings: AudioTableSettings,
    stores: Callable[[], Stores],
    jobs: Callable[[], Jobs],
    published: set[str] | None = None,
) -> tuple[list[Problem], bool]:
    """Annotate every article and page the generators hold; return the problems
    and whether any shows an audio table (and add the files they play or show
    from the clip store to ``published``). The stores and the jobs are asked
    for only when a page may hold a clip."""
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
        return [], False
    from ..build import build_pages, worker_count
    from ..model import ProcessedPage

    content_folder = Path(generators[0].settings["PATH"])
    results, problems = kept_results(content_folder / settings.results_file)
    done = build_pages(
        list(works.values()),
        PublishedSite(generators),
        stores(),
        jobs,
        worker_count(settings.workers),
        code_version(),
        results,
    )
    processed = dict(zip(works, done, strict=True))
    for index, content in enumerate(contents):
        page = processed.get(index) or ProcessedPage(content._content or "", (), ())
        apply_processed(content, page)
        problems += page.problems
        if published is not None:
            published.update(page.files)
    return problems, any(page.tables for page in done)


#: A results file larger than this is no collection of readers' tokens.
MOST_RESULTS_BYTES = 64 * 1024 * 1024


def kept_results(path: Path) -> tuple[KeptResults, list[Problem]]:
    """The readers' results kept in ``path`` (none when it is missing), and a
    problem for each token, or the file, that cannot be counted."""
    from ..blind.results import BadToken, by_table, file_tokens
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


class PublishedSite:
    """The published files, computed only if a page is not in the page store (or
    the files changed since it was kept)."""

    def __init__(self, generators: list[Any]) -> None:
        self.generators = generators
        self._site: SiteFiles | None = None
        static = next(g for g in generators if isinstance(g, StaticGenerator))
        settings = static.settings
        parts = (
            sorted(static.context.get("static_content", {})),
            settings["PATH"],
            settings.get("SITEURL", ""),
            settings.get("STATIC_URL"),
            settings.get("STATIC_SAVE_AS"),
            repr(settings.get("EXTRA_PATH_METADATA")),
        )
        self.root = Path(settings["PATH"]).resolve()
        self.fingerprint = hashlib.sha256(
            json.dumps(parts, default=str).encode()
        ).hexdigest()

    @property
    def files(self) -> SiteFiles:
        if self._site is None:
            self._site = site_files(self.generators)
        return self._site


def site_files(generators: list[Any]) -> SiteFiles:
    """What this build publishes, by URL path."""
    from ..find.resolve import SiteFiles

    static = next(g for g in generators if isinstance(g, StaticGenerator))
    context = static.context
    settings = static.settings
    published = {
        # Content.url, not Static.url: reading Static.url pins the file's output
        # location and would break {attach} links resolved later. Pelican keys
        # the files by their relative source path already.
        Content.url.fget(item): source
        for source, item in context.get("static_content", {}).items()
        if hasattr(item, "source_path")
    }
    return SiteFiles(
        content_root=Path(settings["PATH"]),
        site_url=settings.get("SITEURL", "") or "",
        published=published,
    )


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
    from ..find.resolve import PageRef

    page = PageRef(
        source_path=content.get_relative_source_path(),
        url=content.url,
        save_as=content.save_as,
    )
    for name in ("grid", "study"):  # a choice, checked: a wrong one is warned of
        chosen = content.metadata.get(f"audiotable_{name}")
        if chosen is not None:
            try:
                choice: dict[str, Any] = {name: str(chosen).strip().lower()}
                settings = replace(settings, **choice)
            except SettingsError as error:
                logger.warning("%s: %s", page.source_path, error)
    blind = content.metadata.get("audiotable_blind")
    if blind is not None:
        settings = replace(settings, blind=str(blind))  # checked as it is set
    note = content.metadata.get("audiotable_fairness_note")
    if note is not None:
        wanted = str(note).strip().lower() in ("yes", "true", "on", "1")
        settings = replace(settings, fairness_note=wanted)
    return PageWork(content._content or "", page, settings)


def apply_processed(content: Any, processed: ProcessedPage) -> None:
    """Give an article or page its annotated HTML, its audio tables, and a summary
    that never cuts one of them."""
    content.audiotables = processed.tables
    content.audiotable_jsonld = processed.jsonld
    if processed.html != content._content:
        content._content = processed.html
        _forget_rendered(content)
    if processed.tables and "summary" not in content.metadata:
        content.metadata["summary"] = _summary_of(content, processed)


def _summary_of(content: Any, processed: ProcessedPage) -> str:
    """Pelican's own summary (its word and paragraph limits, its table of contents
    left out), cut from the page with each audio table as a one-line teaser
    linking to it. Its links are Pelican's to rewrite: it does so for a summary
    set here right after this signal."""
    from pelican import utils

    from .teasers import with_tables_as_teasers

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


# --- check: Pelican reads the site, nothing is written -----------------------


@dataclass(frozen=True)
class PageReport:
    source_path: str
    tables: tuple[AudioTableInfo, ...]


@dataclass(frozen=True)
class SiteReport:
    pages: tuple[PageReport, ...]
    problems: tuple[Problem, ...]
    #: The problems that fail ``check`` (fairness is advice unless asked).
    failing: tuple[Problem, ...] = ()
    #: What was assumed, for the reader to know (no settings file found).
    notes: tuple[str, ...] = ()


def check_site(content: Path | None, settings_file: Path | None) -> SiteReport:
    """Read a site as a build would and report every audio table and problem.

    As ``pelican`` does: the settings are ``./pelicanconf.py`` unless named, the
    content their ``PATH`` unless named, and the output folder is never read as
    content, even when it lies inside it.
    """
    notes = []
    if settings_file is None and Path("pelicanconf.py").is_file():
        settings_file = Path("pelicanconf.py")
    override: dict[str, Any] = {
        "PLUGINS": [],
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
    }
    if content is not None:
        override["PATH"] = str(content.resolve())
    logging.getLogger("pelican").setLevel(logging.ERROR)  # its feed and time zone talk
    settings = read_settings(
        str(settings_file) if settings_file else None, override=override
    )
    if settings_file is None:
        notes.append(
            f"no pelicanconf.py here: {settings['PATH']} checked with Pelican's "
            "default settings (name yours with -s)"
        )
    _never_read_the_output(settings)
    pelican = Pelican(settings)
    context = settings.copy()
    context.update(
        generated_content={},
        static_links=set(),
        static_content={},
        localsiteurl=settings["SITEURL"],
    )
    generators = [
        cls(
            context=context,
            settings=settings,
            path=pelican.path,
            theme=pelican.theme,
            output_path=pelican.output_path,
        )
        for cls in pelican._get_generator_classes()
    ]
    for generator in generators:
        if hasattr(generator, "generate_context"):
            generator.generate_context()
    options = AudioTableSettings.from_mapping(settings)
    problems, _ = annotate_generators(
        generators, options, _stores_of_nothing, partial(_jobs, options)
    )
    pages = []
    for item in contents_of(generators):
        if item.audiotables:
            pages.append(
                PageReport(item.get_relative_source_path(), tuple(item.audiotables))
            )
    pages.sort(key=lambda page: page.source_path)
    from ..model import failing

    fails = failing(problems, options.strict_fairness)
    return SiteReport(tuple(pages), tuple(problems), tuple(fails), tuple(notes))


def _stores_of_nothing() -> Stores:
    """``check`` keeps nothing: stores without a folder."""
    from ..build import Stores
    from ..stores.clips import ClipStore
    from ..stores.pages import PageStore

    return Stores(ClipStore(None, __version__), PageStore(None, __version__))


def _jobs(options: AudioTableSettings) -> Jobs:
    """``check`` reads every clip, and decodes them as the build would: what it
    reports (silence, fairness, the blind tables' leak audit) is what a build
    finds."""
    from ..learn.jobs import jobs_for
    from ..learn.pool import DecodeBudget

    budget = DecodeBudget(options.decode_budget, options.decode_memory)
    return jobs_for(options.decodes, budget)


def _never_read_the_output(settings: dict[str, Any]) -> None:
    """A site built inside its content folder: its pages are not content."""
    content = Path(settings["PATH"]).resolve()
    output = Path(settings["OUTPUT_PATH"]).resolve()
    if output == content or not output.is_relative_to(content):
        return
    inside = output.relative_to(content).as_posix()
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES", "STATIC_EXCLUDES"):
        settings[key] = [*settings.get(key, []), inside]
