"""The ``check`` command's engine: Pelican reads the site, nothing is written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pelican import Pelican
from pelican.settings import read_settings

from . import __version__
from .model import AudioTableInfo, Problem
from .pagestore import PageStore
from .plugin import annotate_generators, contents_of
from .settings import AudioTableSettings
from .store import ClipStore


@dataclass(frozen=True)
class PageReport:
    source_path: str
    tables: tuple[AudioTableInfo, ...]


@dataclass(frozen=True)
class SiteReport:
    pages: tuple[PageReport, ...]
    problems: tuple[Problem, ...]


def check_site(content: Path | None, settings_file: Path | None) -> SiteReport:
    """Read a site as a build would and report every audio table and problem."""
    override = {"PLUGINS": [], "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False}
    if content is not None:
        override["PATH"] = str(content.resolve())
    settings = read_settings(
        str(settings_file) if settings_file else None, override=override
    )
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
    problems = annotate_generators(
        generators, options, ClipStore(None, __version__), PageStore(None, __version__)
    )
    pages = []
    for item in contents_of(generators):
        if item.audiotables:
            pages.append(
                PageReport(item.get_relative_source_path(), tuple(item.audiotables))
            )
    pages.sort(key=lambda page: page.source_path)
    return SiteReport(tuple(pages), tuple(problems))
