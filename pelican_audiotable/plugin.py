"""Pelican's side: signals in, annotated content out; the one module that knows Pelican.

Content is rewritten at ``all_generators_finalized``: Pelican's content cache is saved
before it (so cached objects never hold our output), and the static files are known
by then, so a clip is checked against what the site really publishes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pelican import signals
from pelican.contents import Content
from pelican.generators import ArticlesGenerator, PagesGenerator, StaticGenerator
from pelican.plugins import jinja_filters

from .assets import ASSETS_FOLDER, AssetLinkingTemplate
from .cache import MetadataCache, PageCache
from .filters import FILTERS
from .model import PageWork, Problem, ProcessedPage
from .processes import worker_count
from .resolve import PageRef, SiteFiles
from .scan import may_hold_clips
from .settings import AudioTableSettings, SettingsError

if TYPE_CHECKING:
    from .background import Background

logger = logging.getLogger(__name__)

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


class StrictModeError(Exception):
    """Raised with every problem listed when ``AUDIOTABLE_STRICT`` is on."""


@dataclass
class _Build:
    settings: AudioTableSettings = field(default_factory=AudioTableSettings)
    cache: MetadataCache = field(default_factory=lambda: MetadataCache(None))
    pages: PageCache = field(default_factory=lambda: PageCache(None))
    #: Link the CSS/JS into written pages (the bundled theme links them itself).
    link_assets: bool = False
    #: Processes reading clips and parsing tables since the build began (cold builds).
    background: Background | None = None


_build = _Build()


def register() -> None:
    signals.initialized.connect(on_initialized)
    signals.generator_init.connect(on_generator_init)
    signals.all_generators_finalized.connect(on_all_generators_finalized)


def on_initialized(pelican: Any) -> None:
    """Read the settings and start a fresh build state (``pelican -r`` reuses us)."""
    global _build
    settings = AudioTableSettings.from_mapping(pelican.settings)
    folder = None
    if settings.cache and pelican.settings.get("CACHE_PATH"):
        folder = Path(pelican.settings["CACHE_PATH"]) / "audiotable"
    clips_file = folder / "clips.json" if folder else None
    _build = _Build(
        settings=settings,
        cache=MetadataCache(clips_file),
        pages=PageCache(folder / "pages.pickle" if folder else None),
        link_assets=settings.assets and not _is_bundled_theme(pelican.settings),
    )
    if clips_file is None or not clips_file.exists():
        # Nothing read yet: read the clips and parse the tables while Pelican
        # reads the articles, on the cores it leaves idle.
        from .background import start_background

        _build.background = start_background(
            Path(pelican.settings["PATH"]),
            skip=tuple(
                Path(pelican.settings[name])
                for name in ("OUTPUT_PATH", "CACHE_PATH")
                if pelican.settings.get(name)
            ),
            processes=worker_count(settings.workers),
        )
        if _build.background is not None:
            signals.content_object_init.connect(on_content_object_init)
    if settings.assets:
        static_paths = pelican.settings.setdefault("THEME_STATIC_PATHS", [])
        if ASSETS_FOLDER not in static_paths:
            static_paths.append(ASSETS_FOLDER)


def _is_bundled_theme(settings: dict[str, Any]) -> bool:
    from . import theme_path

    try:
        return Path(settings.get("THEME", "")).resolve() == Path(theme_path()).resolve()
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


def on_content_object_init(content: Any) -> None:
    """As Pelican reads each article or page, have its tables parsed meanwhile
    (connected only while background processes are there to do it).

    Only read here, never changed: content is rewritten once everything is read.
    """
    if _build.background is not None:
        _build.background.parse_ahead(getattr(content, "_content", None) or "")


def on_all_generators_finalized(generators: list[Any]) -> None:
    background, _build.background = _build.background, None
    signals.content_object_init.disconnect(on_content_object_init)
    try:
        if background is not None:
            _build.cache.merge(background.clips())
        problems = annotate_generators(
            generators, _build.settings, _build.cache, _build.pages, background
        )
    finally:
        if background is not None:
            background.close()
    _build.cache.save()
    _build.pages.save()
    for problem in problems:
        logger.warning("audiotable: %s", problem)
    if problems and _build.settings.strict:
        raise StrictModeError(
            f"{len(problems)} audio clip problem(s) (AUDIOTABLE_STRICT is on):\n"
            + "\n".join(f"  {p}" for p in problems)
        )


def annotate_generators(
    generators: list[Any],
    settings: AudioTableSettings,
    cache: MetadataCache,
    pages: PageCache | None = None,
    background: Background | None = None,
) -> list[Problem]:
    """Annotate every article and page the generators hold; return the problems.

    Pages the page cache knows are served from it; the others go through the
    pipeline, in worker processes when there are many.
    """
    site = PublishedSite(generators)
    contents = contents_of(generators)
    processed: list[ProcessedPage | None] = []
    todo: dict[int, tuple[PageWork, str]] = {}  # index -> the work, its cache key
    for index, content in enumerate(contents):
        html = content._content or ""
        if not may_hold_clips(html):  # most pages of most sites: nothing to do
            processed.append(ProcessedPage(html, (), ()))
            continue
        item = page_work(content, settings)
        where = item.page
        key = PageCache.key(
            item.html,
            (where.source_path, where.url, where.save_as),
            site.fingerprint,
            item.settings.fingerprint,
        )
        cached = pages.get(key) if pages else None
        processed.append(cached)
        if cached is None:
            todo[index] = (item, key)
    if todo:
        from .workers import process_pages

        work = [item for item, _ in todo.values()]
        done = process_pages(
            work, site.files, cache, worker_count(settings.workers), background
        )
        for (index, (_, key)), page_done in zip(todo.items(), done, strict=True):
            processed[index] = page_done.processed
            stamps = {p: s for p, s in page_done.stamps.items() if s is not None}
            if pages and len(stamps) == len(page_done.stamps):
                pages.put(key, page_done.processed, stamps)
    problems: list[Problem] = []
    for content, page in zip(contents, processed, strict=True):
        assert page is not None
        apply_processed(content, page)
        problems += page.problems
    return problems


class PublishedSite:
    """The published files, computed only if a page is not in the page cache."""

    def __init__(self, generators: list[Any]) -> None:
        self.generators = generators
        self._site: SiteFiles | None = None
        static = next(g for g in generators if isinstance(g, StaticGenerator))
        settings = static.settings
        self.fingerprint = PageCache.key(
            sorted(static.context.get("static_content", {})),
            settings["PATH"],
            settings.get("SITEURL", ""),
            settings.get("STATIC_URL"),
            settings.get("STATIC_SAVE_AS"),
            repr(settings.get("EXTRA_PATH_METADATA")),
        )

    @property
    def files(self) -> SiteFiles:
        if self._site is None:
            self._site = site_files(self.generators)
        return self._site


def site_files(generators: list[Any]) -> SiteFiles:
    """What this build publishes, by URL path."""
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
    """What the pipeline needs of an article or page, with its own grid setting."""
    page = PageRef(
        source_path=content.get_relative_source_path(),
        url=content.url,
        save_as=content.save_as,
    )
    grid = content.metadata.get("audiotable_grid")
    if grid is not None:
        try:
            settings = replace(settings, grid=str(grid).strip().lower())
        except SettingsError as error:
            logger.warning("audiotable: %s: %s", page.source_path, error)
    return PageWork(content._content or "", page, settings)


def apply_processed(content: Any, processed: ProcessedPage) -> None:
    """Give an article or page its annotated HTML and its audio tables."""
    content.audiotables = processed.tables
    content.audiotable_jsonld = processed.jsonld
    if processed.html != content._content:
        content._content = processed.html
        _forget_rendered(content)


def _forget_rendered(content: Any) -> None:
    """Drop Pelican's memoized content and summary of this object, if any."""
    for name in ("get_content", "get_summary"):
        memo = getattr(type(content), name, None)
        cache = getattr(memo, "cache", None)
        if isinstance(cache, dict):
            for key in [k for k in cache if k and k[0] is content]:
                del cache[key]
