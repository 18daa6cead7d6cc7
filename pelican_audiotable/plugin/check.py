"""``check``: Pelican reads a site as a build would, and writes no page: what the
build's stores know is read from them (nothing learnt again), what is new is
learnt as a build would learn it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pelican import Pelican
from pelican.settings import read_settings

from ..files import FolderLock
from ..model import AudioTableInfo, Problem
from ..settings import AudioTableSettings
from .content import (
    annotate_generators,
    contents_of,
    failing_problems,
    jobs_of,
    open_stores,
)
from .site import code_version


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
    # The build's stores, read (and held against a build beside it) but never
    # saved: a clip the last build learnt is not read or decoded again, a copy
    # it made is not made again, and what is reported (silence, fairness, the
    # blind tables' leak audit) is what a build finds.
    folder = None
    if options.cache and settings.get("CACHE_PATH"):
        folder = Path(settings["CACHE_PATH"]) / "audiotable"
    lock = FolderLock(folder) if folder is not None else None
    if lock is not None:
        lock.acquire(f"check: a build is using the cache {folder}; waiting for it")
    try:
        versions = code_version((".py",)), code_version()
        problems = annotate_generators(
            generators,
            options,
            partial(open_stores, folder, *versions),
            partial(jobs_of, options),
        ).problems
    finally:
        if lock is not None:
            lock.release()
    pages = []
    for item in contents_of(generators):
        if item.audiotables:
            pages.append(
                PageReport(item.get_relative_source_path(), tuple(item.audiotables))
            )
    pages.sort(key=lambda page: page.source_path)
    fails = failing_problems(problems, options)
    return SiteReport(tuple(pages), tuple(problems), tuple(fails), tuple(notes))


def _never_read_the_output(settings: dict[str, Any]) -> None:
    """A site built inside its content folder: its pages are not content."""
    content = Path(settings["PATH"]).resolve()
    output = Path(settings["OUTPUT_PATH"]).resolve()
    if output == content or not output.is_relative_to(content):
        return
    inside = output.relative_to(content).as_posix()
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES", "STATIC_EXCLUDES"):
        settings[key] = [*settings.get(key, []), inside]
