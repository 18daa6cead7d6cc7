"""Pelican's side: signals in, annotated content out; the one module that knows Pelican.

Content is rewritten at ``all_generators_finalized``: Pelican's content cache is saved
before it (so cached objects never hold our output), and the static files are known
by then, so a clip is checked against what the site really publishes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Content
from pelican.generators import ArticlesGenerator, PagesGenerator, StaticGenerator
from pelican.plugins import jinja_filters

from .assets import ASSETS_FOLDER, link_assets
from .cache import MetadataCache
from .filters import FILTERS
from .model import Problem
from .pipeline import process_page
from .resolve import PageRef, SiteFiles
from .settings import AudioTableSettings, SettingsError

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
    problems: list[Problem] = field(default_factory=list)


_build = _Build()


def register() -> None:
    signals.initialized.connect(on_initialized)
    signals.generator_init.connect(on_generator_init)
    signals.all_generators_finalized.connect(on_all_generators_finalized)
    signals.content_written.connect(on_content_written)


def on_initialized(pelican: Any) -> None:
    """Read the settings and start a fresh build state (``pelican -r`` reuses us)."""
    global _build
    settings = AudioTableSettings.from_mapping(pelican.settings)
    cache_file = None
    if settings.cache and pelican.settings.get("CACHE_PATH"):
        cache_file = Path(pelican.settings["CACHE_PATH"]) / "audiotable" / "clips.json"
    _build = _Build(settings=settings, cache=MetadataCache(cache_file))
    if settings.assets:
        static_paths = pelican.settings.setdefault("THEME_STATIC_PATHS", [])
        if ASSETS_FOLDER not in static_paths:
            static_paths.append(ASSETS_FOLDER)


def on_content_written(path: str, context: dict[str, Any]) -> None:
    """Link the grid CSS and listening JS from every page that shows an audio table."""
    if not _build.settings.assets or not path.endswith(".html"):
        return
    written = Path(path)
    html = written.read_text(encoding="utf-8")
    base = f"{context.get('SITEURL', '')}/{context.get('THEME_STATIC_DIR', 'theme')}"
    linked = link_assets(html, base)
    if linked != html:
        written.write_text(linked, encoding="utf-8")


def on_generator_init(generator: Any) -> None:
    """Register the plugin's filters, and pelican-jinja-filters' that the theme uses
    (a site that lists PLUGINS would otherwise have to list both)."""
    env = getattr(generator, "env", None)
    if env is not None:
        env.filters.update(FILTERS)
        jinja_filters.add_all_filters(generator)


def on_all_generators_finalized(generators: list[Any]) -> None:
    problems = annotate_generators(generators, _build.settings, _build.cache)
    _build.cache.save()
    for problem in problems:
        logger.warning("audiotable: %s", problem)
    if problems and _build.settings.strict:
        raise StrictModeError(
            f"{len(problems)} audio clip problem(s) (AUDIOTABLE_STRICT is on):\n"
            + "\n".join(f"  {p}" for p in problems)
        )


def annotate_generators(
    generators: list[Any], settings: AudioTableSettings, cache: MetadataCache
) -> list[Problem]:
    """Annotate every article and page the generators hold; return the problems."""
    site = site_files(generators)
    problems: list[Problem] = []
    for content in contents_of(generators):
        problems += annotate_content(content, site, settings, cache)
    return problems


def site_files(generators: list[Any]) -> SiteFiles:
    """What this build publishes, by URL path."""
    static = next(g for g in generators if isinstance(g, StaticGenerator))
    context = static.context
    settings = static.settings
    published = {
        # Content.url, not Static.url: reading Static.url pins the file's output
        # location and would break {attach} links resolved later.
        Content.url.fget(item): item.get_relative_source_path()
        for item in context.get("static_content", {}).values()
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


def annotate_content(
    content: Any, site: SiteFiles, settings: AudioTableSettings, cache: MetadataCache
) -> list[Problem]:
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
    processed = process_page(content._content or "", page, site, cache.read, settings)
    content.audiotables = list(processed.tables)
    if processed.html != content._content:
        content._content = processed.html
        _forget_rendered(content)
    return list(processed.problems)


def _forget_rendered(content: Any) -> None:
    """Drop Pelican's memoized content and summary of this object, if any."""
    for name in ("get_content", "get_summary"):
        memo = getattr(type(content), name, None)
        cache = getattr(memo, "cache", None)
        if isinstance(cache, dict):
            for key in [k for k in cache if k and k[0] is content]:
                del cache[key]
