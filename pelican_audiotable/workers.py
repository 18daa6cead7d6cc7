"""Pages through the pipeline, in parallel processes when there are many.

A cold build of a big site spends its time parsing tables and reading clips, and
both are plain CPU work on independent pages. Each worker process gets the
published files and a copy of the clip cache, runs the pipeline over its share of
pages, and sends back the annotated pages and the clips it read, which the build
keeps in its cache as if it had read them itself.
"""

from __future__ import annotations

import gc
import logging
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import MetadataCache
from .model import PageWork, ProcessedPage
from .processes import process_context
from .resolve import SiteFiles

if TYPE_CHECKING:
    from .background import Background
    from .metadata import ClipMetadata
    from .pipeline import ParseTables

logger = logging.getLogger(__name__)

#: Fewer pages than this per process, and starting the processes costs more
#: than it saves.
PAGES_PER_WORKER = 8


@dataclass(frozen=True)
class PageDone:
    processed: ProcessedPage
    #: Every clip file read, with the size and mtime it was read at.
    stamps: dict[str, list[int] | None]


def process_pages(
    work: list[PageWork],
    site: SiteFiles,
    cache: MetadataCache,
    workers: int,
    background: Background | None = None,
) -> list[PageDone]:
    """Every page of ``work`` (each with a table that may hold clips), in order.

    On a cold build the background processes, which have parsed most pages while
    Pelican read them, annotate them; otherwise processes start here, if worth it.
    """
    if background is not None:
        done = background.annotate(work, site, cache)
        return [
            page if page is not None else process_one(item, site, cache)
            for item, page in zip(work, done, strict=True)
        ]
    workers = min(workers, len(work) // PAGES_PER_WORKER)
    if workers >= 2:
        try:
            return _in_processes(work, site, cache, workers)
        except (BrokenProcessPool, OSError) as error:
            logger.info("audiotable: worker processes failed (%s); going on", error)
    return [process_one(item, site, cache) for item in work]


def process_one(
    work: PageWork,
    site: SiteFiles,
    cache: MetadataCache,
    parse: ParseTables | None = None,
) -> PageDone:
    # The pipeline (and Beautiful Soup, 0.15 s to import) loads where pages are
    # annotated: on a cold build, in the background processes only.
    from .discover import parse_tables
    from .pipeline import process_page

    read: list[Path] = []

    def read_clip(path: Path) -> ClipMetadata:
        read.append(path)
        return cache.read(path)

    processed = process_page(
        work.html, work.page, site, read_clip, work.settings, parse or parse_tables
    )
    return PageDone(processed, {str(path): cache.stamp_of(path) for path in read})


def _in_processes(
    work: list[PageWork], site: SiteFiles, cache: MetadataCache, workers: int
) -> list[PageDone]:
    chunk = max(1, len(work) // (workers * 4))
    # Forked workers share this process's memory until they write to it, and a
    # collection in a worker would walk (and so copy) every object Pelican holds:
    # frozen, they are left out of the workers' collections.
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            workers,
            mp_context=process_context(),
            initializer=_start_worker,
            initargs=(site, cache.entries()),
        ) as pool:
            results = list(pool.map(_work_in_worker, work, chunksize=chunk))
    finally:
        gc.unfreeze()
    for _, entries in results:
        cache.merge(entries)
    return [done for done, _ in results]


_worker: tuple[SiteFiles, MetadataCache] | None = None


def _start_worker(site: SiteFiles, entries: dict[str, Any]) -> None:
    global _worker
    cache = MetadataCache(None)
    cache.merge(entries)
    _worker = (site, cache)


def _work_in_worker(work: PageWork) -> tuple[PageDone, dict[str, Any]]:
    assert _worker is not None, "the worker was not started"
    site, cache = _worker
    done = process_one(work, site, cache)
    return done, cache.entries(done.stamps)
