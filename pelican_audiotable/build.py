"""A build's one way, top to bottom. Every page that may hold an audio table goes

1. to the page store, which serves it if nothing it shows has changed;
2. otherwise its tables are found and each clip resolved to the file the site
   publishes (:func:`~.page.prepare_page`);
3. every clip those pages use that the clip store does not know yet is learnt,
   in one batch (:func:`~.pool.learn`: in a pool of processes when it decodes or
   has many to read), and the blind tables' untagged copies are made;
4. each page is finished with its clips' facts (:func:`~.page.finish_page`) and
   kept in the page store;
5. the stores are saved, and the files the pages play or show published.

Nothing here knows Pelican: :mod:`.plugin` collects the pages and hands them back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .files import write_whole
from .settings import AudioTableSettings
from .stores.clips import ClipStore
from .stores.pages import PageStore, Site, UsedClip
from .values import ClipFacts, PageRef, ProcessedPage, Unreadable

if TYPE_CHECKING:  # the pool loads when a clip is to be learnt: a warm build
    from .pool import Readers  # needs none


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
    readers: Callable[[], Readers],
    workers: int,
    version: str,
) -> list[ProcessedPage]:
    """Every page of ``works`` annotated, in order. ``readers`` gives what learns
    a clip, asked for only when a page is annotated anew."""
    keys = [
        PageStore.key(w.html, w.page, w.settings.fingerprint, version) for w in works
    ]
    done = [
        stores.pages.get(key, w.page, site, stores.clips)
        for key, w in zip(keys, works, strict=True)
    ]
    todo = [index for index, page in enumerate(done) if page is None]
    if todo:
        # The table tree and the stages load only here: a warm build needs none.
        from .page import finish_page, prepare_page

        files, learners = site.files, readers()
        prepared = {
            i: prepare_page(works[i].html, works[i].page, files, works[i].settings)
            for i in todo
        }
        facts = learn_clips(
            {path for page in prepared.values() for path in page.clip_files()},
            stores.clips,
            learners,
            workers,
        )
        copies = make_copies(
            {path for page in prepared.values() for path in page.blind_files()},
            stores.clips,
            learners,
        )
        for i, page in prepared.items():
            done[i] = processed = finish_page(page, facts, copies)
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


def learn_clips(
    paths: set[Path], clips: ClipStore, readers: Readers, workers: int
) -> dict[Path, ClipFacts]:
    """What is known of each file of ``paths``, learning in one batch what the
    clip store does not know yet (a file that cannot be hashed has none)."""
    from .pool import learn

    decoding = readers.decoding

    def known(key: str | None) -> bool:
        facts = clips.facts(key) if key else None
        return facts is not None and facts.complete(decoding)

    unknown = [str(path) for path in paths if not known(clips.known_key(path))]
    if unknown:
        clips.take(*learn(unknown, known, readers, workers))
    learnt = {}
    for path in paths:
        key = clips.key_of(path)
        facts = clips.facts(key) if key else None
        if facts is not None:
            learnt[path] = facts
    return learnt


def make_copies(
    paths: set[Path], clips: ClipStore, readers: Readers
) -> dict[Path, str | Unreadable]:
    """The untagged copy of each file of ``paths`` (the clips of the tables asked
    to be blind), made once per content, or why there is none."""
    copies: dict[Path, str | Unreadable] = {}
    if readers.untag is None:
        return copies
    for path in sorted(paths):
        key = clips.key_of(path)
        if key is not None:
            copies[path] = clips.copy_of(path, key, readers.untag)
    return copies


def publish_files(names: Iterable[str], clips: ClipStore, folder: Path) -> None:
    """The files pages play or show from the clip store (``blind/…``,
    ``spectra/…``), into the output's ``folder``, each written whole."""
    for name in sorted(set(names)):
        made, published = clips.published / name, folder / name
        if published.exists() and published.stat().st_size == made.stat().st_size:
            continue  # named by its digest: the same size is the same file
        write_whole(published, made)
