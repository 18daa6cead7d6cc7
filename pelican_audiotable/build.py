"""A build's one way, top to bottom: every page with an audio table goes

1. to the page store, which serves it if nothing it shows has changed;
2. otherwise its tables are found and each clip resolved to the file the site
   publishes (:func:`~.pipeline.prepare_page`);
3. the clip store learns every clip those pages use that it does not know yet, in
   a pool of processes when there are many: the only parallel work of a build;
4. each page is annotated with its clips' facts (:func:`~.pipeline.finish_page`)
   and kept in the page store.

Nothing here knows Pelican: :mod:`.plugin` collects the pages and hands them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import PageRef, ProcessedPage
from .pagestore import PageStore, Site, UsedClip
from .settings import AudioTableSettings
from .store import ClipStore


@dataclass(frozen=True)
class PageWork:
    """One page to annotate: everything the pipeline needs, nothing of Pelican's."""

    html: str
    page: PageRef
    settings: AudioTableSettings


def annotate_pages(
    works: list[PageWork],
    site: Site,
    clips: ClipStore,
    pages: PageStore,
    workers: int,
    version: str,
) -> list[ProcessedPage]:
    """Every page of ``works`` annotated, in order."""
    keys = [
        PageStore.key(w.html, w.page, w.settings.fingerprint, version) for w in works
    ]
    done = [
        pages.get(key, w.page, site, clips) for key, w in zip(keys, works, strict=True)
    ]
    todo = [index for index, page in enumerate(done) if page is None]
    if not todo:
        return [page for page in done if page is not None]

    # The table tree and the clip readers load only here: a warm build needs none.
    from .pipeline import finish_page, prepare_page

    files = site.files
    prepared = {
        index: prepare_page(
            works[index].html,
            works[index].page,
            files,
            works[index].settings,
        )
        for index in todo
    }
    clips.learn((path for p in prepared.values() for path in p.clip_files()), workers)
    for index, page in prepared.items():
        processed = finish_page(page, clips.metadata, clips.untagged)
        used = [
            UsedClip.of(
                clip.sources,
                resolved,
                clips.key_of(resolved.path) if resolved.path else None,
                site.root,
            )
            for clip, resolved in page.clips()
        ]
        pages.put(keys[index], processed, used, site.fingerprint)
        done[index] = processed
    return [page for page in done if page is not None]
