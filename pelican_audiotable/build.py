"""A build's one way, top to bottom. Every page that may hold an audio table goes

1. to the page store, which serves it if nothing it shows has changed;
2. otherwise its tables are found and each clip resolved to the file the site
   publishes (:func:`~.page.prepare_page`);
3. every clip those pages use that the clip store does not know yet is learnt,
   in one batch (:func:`~.learn.pool.learn`: in a pool of processes when it decodes or
   has many to read), and the blind tables' untagged copies are made;
4. each page is finished with its clips' facts (:func:`~.page.finish_page`) and
   kept in the page store;
5. the stores are saved, and the files the pages play or show published.

Nothing here knows Pelican: :mod:`.plugin` collects the pages and hands them back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .blind.results import Results
from .errors import ClipError
from .files import encoder_marks, write_whole
from .find.tables import BLIND_MARKER
from .log import get_logger
from .model import (
    COPIES,
    ClipFacts,
    ClipMetadata,
    MadeCopy,
    PageRef,
    ProblemKind,
    ProcessedPage,
    Unreadable,
)
from .settings import AudioTableSettings
from .stores.clips import ClipStore
from .stores.pages import PageStore, Site, UsedClip

if TYPE_CHECKING:  # the pool loads when a clip is to be learnt: a warm build
    from .blind.recipes import CopyRecipe  # needs none
    from .learn.pool import Jobs
    from .page import TrialFiles

logger = get_logger(__name__)

#: A copy may take this many times a clip's decoding budget: it is decoded,
#: filtered and encoded, then read and decoded again for the leak audit.
COPY_BUDGET = 4


def worker_count(configured: int | None) -> int:
    """``AUDIOTABLE_WORKERS``, or one process per CPU this process may use, up to 8."""
    if configured:
        return configured
    count = getattr(os, "process_cpu_count", os.cpu_count)() or 1
    return min(count, 8)


@dataclass(frozen=True)
class PageWork:
    """One page to annotate: everything the build needs, nothing of Pelican's."""

    html: str
    page: PageRef
    settings: AudioTableSettings


@dataclass(frozen=True)
class KeptResults:
    """The readers' results the site keeps, by table, and their digest (a page
    with a blind table shows them: it is annotated anew when they change)."""

    tables: Results
    digest: str


@dataclass(frozen=True)
class Stores:
    """What a build keeps for the next one."""

    clips: ClipStore
    pages: PageStore

    def save(self) -> None:
        self.clips.save()
        self.pages.save()


def build_pages(
    works: list[PageWork],
    site: Site,
    stores: Stores,
    jobs: Callable[[], Jobs],
    workers: int,
    version: str,
    results: KeptResults | None = None,
) -> list[ProcessedPage]:
    """Every page of ``works`` annotated, in order. ``jobs`` gives what learns
    a clip, asked for only when a page is annotated anew."""
    results = results or KeptResults({}, "")
    keys = [
        PageStore.key(
            w.html,
            w.page,
            w.settings.fingerprint,
            f"{version}/{results.digest}" if _may_be_blind(w) else version,
        )
        for w in works
    ]
    done = [
        stores.pages.get(key, w.page, site, stores.clips)
        for key, w in zip(keys, works, strict=True)
    ]
    todo = [index for index, page in enumerate(done) if page is None]
    if todo:
        # The table tree and the stages load only here: a warm build needs none.
        from .page import finish_page, prepare_page

        files, learning = site.files, jobs()
        prepared = {
            i: prepare_page(works[i].html, works[i].page, files, works[i].settings)
            for i in todo
        }
        facts = learn_clips(
            {path for page in prepared.values() for path in page.clip_files()},
            stores.clips,
            learning,
            workers,
        )
        copies = make_copies(
            {
                (trial, page.settings.blind_copies == "matched")
                for page in prepared.values()
                for trial in page.blind_trials()
            },
            facts,
            stores.clips,
            learning,
            workers,
        )
        for i, page in prepared.items():
            processed = finish_page(page, facts, copies, results.tables)
            done[i] = processed = replace(processed, key=keys[i])
            used = tuple(
                UsedClip.of(
                    clip.sources,
                    resolved,
                    stores.clips.key_of(resolved.path) if resolved.path else None,
                    site.root,
                )
                for clip, resolved in page.clips()
            )
            stores.pages.put(keys[i], processed, used, site.fingerprint)
    return [page for page in done if page is not None]


def _may_be_blind(work: PageWork) -> bool:
    return bool(work.settings.blind) or BLIND_MARKER in work.html


def learn_clips(
    paths: set[Path], clips: ClipStore, jobs: Jobs, workers: int
) -> dict[Path, ClipFacts]:
    """What is known of each file of ``paths``, learning in one batch what the
    clip store does not know yet (a file that cannot be hashed has none)."""
    from .learn.pool import learn

    decoding = jobs.decoding

    def known(key: str | None) -> bool:
        facts = clips.facts(key) if key else None
        return facts is not None and facts.complete(decoding)

    unknown = [str(path) for path in paths if not known(clips.known_key(path))]
    if unknown:
        clips.take(*learn(unknown, known, jobs, workers))
    learnt = {}
    for path in paths:
        key = clips.key_of(path)
        facts = clips.facts(key) if key else None
        if facts is not None:
            learnt[path] = facts
    return learnt


def make_copies(
    trials: set[tuple[TrialFiles, bool]],
    facts: dict[Path, ClipFacts],
    clips: ClipStore,
    jobs: Jobs,
    workers: int,
) -> dict[TrialFiles, list[MadeCopy | Unreadable]]:
    """Each blind trial's copies: matched when asked (one format, bandwidth,
    loudness and length, by :func:`~.blind.recipes.trial_recipes`; made in worker
    processes, once per recipe), else, or when its clips were not all decoded,
    its clips without their tags (once per content)."""
    from .blind.recipes import trial_recipes

    copies: dict[TrialFiles, list[MadeCopy | Unreadable]] = {}
    to_make: dict[str, tuple[Path, CopyRecipe]] = {}
    planned: dict[TrialFiles, list[str]] = {}
    content_keys = {
        path: clips.key_of(path) for (_, files), _ in trials for path in files
    }
    for trial, matched in sorted(trials):
        salt, files = trial
        shown = [_shown(facts.get(path)) for path in files]
        known = [m for m in shown if not isinstance(m, Unreadable)]
        if len(known) < len(shown):
            continue  # a clip that cannot be read: its table is not built
        recipes = (
            trial_recipes(known, salt) if matched else "untagged copies were asked for"
        )
        keys = [content_keys[path] for path in files]
        if isinstance(recipes, str) or jobs.equalise is None or None in keys:
            if matched:
                logger.info("a blind trial's copies are untagged only: %s", recipes)
            copies[trial] = [
                _untagged(path, key, metadata, clips, jobs)
                for path, key, metadata in zip(files, keys, known, strict=True)
            ]
            continue
        planned[trial] = []
        for path, recipe, key in zip(files, recipes, keys, strict=True):
            recipe_key = recipe.key(str(key))
            planned[trial].append(recipe_key)
            if clips.matched_copy(recipe_key) is None:
                to_make[recipe_key] = (path, recipe)
    if to_make and jobs.equalise is not None:
        from .learn.pool import each_apart

        budget = jobs.budget.seconds * COPY_BUDGET
        work = [
            (path, clips.matched_target(key), recipe, budget)
            for key, (path, recipe) in to_make.items()
        ]
        made = each_apart(
            jobs.equalise,
            work,
            workers,
            jobs.budget,
            "copying blind trials:",
            "blind copies made",
        )
        for key, result in zip(to_make, made, strict=True):
            clips.take_matched(key, result)
    for trial, recipe_keys in planned.items():
        copies[trial] = [
            clips.matched_copy(key)
            or Unreadable(ProblemKind.UNTAGGABLE, "its copy was not made")
            for key in recipe_keys
        ]
    return {
        trial: [
            _marked(copy, clips, content_keys[path] or "")
            for copy, path in zip(trial_copies, trial[1], strict=True)
        ]
        for trial, trial_copies in copies.items()
    }


def _shown(learnt: ClipFacts | None) -> ClipMetadata | Unreadable:
    if learnt is None:
        return Unreadable(ProblemKind.UNREADABLE, "it cannot be read")
    return learnt.shown("", analysed=True)


def _untagged(
    path: Path,
    key: str | None,
    metadata: ClipMetadata,
    clips: ClipStore,
    jobs: Jobs,
) -> MadeCopy | Unreadable:
    """The clip's copy without its tags (``key``: its content), as it reads."""
    if key is None or jobs.untag is None:
        return Unreadable(ProblemKind.UNREADABLE, "it cannot be read")
    name = clips.copy_of(path, key, jobs.untag)
    if isinstance(name, Unreadable):
        return name
    size = (clips.published / COPIES / name).stat().st_size
    return MadeCopy(name, replace(metadata.without_tags(), size=size))


def _marked(
    copy: MadeCopy | Unreadable, clips: ClipStore, source: str
) -> MadeCopy | Unreadable:
    """The copy with the content key of its original, and the encoder strings
    its bytes hold (for the leak audit)."""
    if isinstance(copy, Unreadable):
        return copy
    try:
        marks = encoder_marks(clips.published / COPIES / copy.name)
    except (OSError, ClipError):
        marks = ()
    return replace(copy, marks=marks, source=source)


def publish_files(names: Iterable[str], clips: ClipStore, folder: Path) -> None:
    """The files pages play or show from the clip store (``blind/…``,
    ``spectra/…``), into the output's ``folder``, each written whole."""
    for name in sorted(set(names)):
        made, published = clips.published / name, folder / name
        if published.exists() and published.stat().st_size == made.stat().st_size:
            continue  # named by its digest: the same size is the same file
        write_whole(published, made, clips.scratch)
