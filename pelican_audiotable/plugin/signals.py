"""Pelican's signals in, annotated content out: the plugin's state through one
build, and what each signal does with it. The build's order itself is
:mod:`~.build`'s; the pages come and go through :mod:`.content`.

Content is rewritten at ``all_generators_finalized``: Pelican's content cache is saved
before it (so cached objects never hold our output), and the static files are known
by then, so a clip is checked against what the site really publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pelican import signals
from pelican.plugins import jinja_filters

from ..log import get_logger, quiet_tracebacks_of_ours, show_advice
from ..settings import AudioTableSettings
from . import site
from .assets import (
    ASSETS_FOLDER,
    AssetLinkingTemplate,
    bundled_theme,
    publish_assets,
)
from .content import (
    Annotated,
    annotate_generators,
    feed_without_reveals,
    jobs_of,
    open_stores,
    publish_copies,
    warn_of,
)
from .filters import FILTERS

if TYPE_CHECKING:
    from ..build import Stores
    from ..files import FolderLock
    from ..learn.pool import Jobs

logger = get_logger(__name__)


@dataclass
class _Build:
    settings: AudioTableSettings = field(default_factory=AudioTableSettings)
    #: Where the stores are kept (``CACHE_PATH/audiotable``), if anywhere.
    folder: Path | None = None
    #: Link the CSS/JS into written pages (the bundled theme links them itself).
    link_assets: bool = False
    #: What annotating the content gave (the problems, the files to publish).
    annotated: Annotated = field(default_factory=lambda: Annotated([]))
    _stores: Stores | None = None
    #: The cache held from the stores' opening to the copies' publishing: one
    #: build at a time per cache (a preview's rebuild beside a manual build).
    _lock: FolderLock | None = None

    def stores(self) -> Stores:
        """The stores, opened when a page first may hold a clip: a site without
        audio tables loads none of them."""
        if self._stores is None:
            if self.folder is not None:
                from ..files import FolderLock

                self._lock = FolderLock(self.folder)
                self._lock.acquire(
                    f"audiotable: another build is using the cache {self.folder}; "
                    "waiting for it to end"
                )
            versions = site.code_version((".py",)), site.code_version()
            self._stores = open_stores(self.folder, *versions)
        return self._stores

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def jobs(self) -> Jobs:
        if self.settings.analysis and not self.settings.decodes:
            logger.warning(
                "loudness matching and waveforms are off: their libraries are "
                "not installed (pip install av numpy scipy turns them on; "
                "AUDIOTABLE_ANALYSIS = False says no to them)"
            )
        return jobs_of(self.settings)


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
    _build.release()  # a build before this one that failed midway
    show_advice()
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
    _build.annotated = annotate_generators(
        generators, _build.settings, _build.stores, _build.jobs
    )
    if _build._stores is not None:  # opened: a page may hold a clip
        _build._stores.save()
    if _build.annotated.problems:
        warn_of(_build.annotated.problems, _build.settings)


def on_feed_generated(context: Any, feed: Any) -> None:
    feed_without_reveals(feed)


def on_finalized(pelican: Any) -> None:
    """Publish the assets pages link (under a theme of the site's own, only when
    a page shows an audio table: a site without one is written as if the plugin
    were not there) and the blind tables' untagged copies, once the output
    folder is written (a build that cleans it first cleans it before this)."""
    try:
        _publish(pelican)
    finally:
        if _build._stores is not None:
            _build._stores.clips.clear_scratch()
        _build.release()


def _publish(pelican: Any) -> None:
    if _build.link_assets and _build.annotated.has_tables:
        scratch = _build._stores.clips.scratch if _build._stores else None
        publish_assets(pelican.settings, scratch)
    if not _build.annotated.published or _build._stores is None:
        return
    if not _build.settings.decodes:
        logger.info(
            "blind tables play at their published loudness: loudness matching needs "
            "pip install av numpy scipy and AUDIOTABLE_ANALYSIS on"
        )
    output = Path(pelican.settings["OUTPUT_PATH"])
    publish_copies(_build.annotated.published, _build._stores, output)
