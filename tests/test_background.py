"""Work done in the background on a cold build: the files chosen, the clips and
tables that come back, a process that dies, and a site built with it the same as
one built without."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import markdown

from pelican_audiotable import background
from pelican_audiotable.background import Background, audio_files, start_background
from pelican_audiotable.cache import MetadataCache
from pelican_audiotable.discover import parse_tables
from pelican_audiotable.model import PageWork
from pelican_audiotable.resolve import PageRef, SiteFiles
from pelican_audiotable.scan import table_spans
from pelican_audiotable.settings import AudioTableSettings
from pelican_audiotable.workers import process_one, process_pages
from tests.conftest import build_site
from tests.test_build import seed_post

NAMES = ["cbr-128-stereo-44k.mp3", "vbr-xing-48k.mp3", "vbr-noheader-44k.mp3"]


def clip_folder(tmp_path: Path, clips, count: int = 18) -> Path:
    """``count`` clip files in ``content/clips``, and files that must be left alone."""
    content = tmp_path / "content"
    (content / "clips").mkdir(parents=True)
    for number in range(count):
        shutil.copyfile(clips[NAMES[number % 3]], content / f"clips/{number:02d}.mp3")
    (content / "clips/notes.txt").write_text("not audio")
    outside = tmp_path / "elsewhere.mp3"
    shutil.copyfile(clips[NAMES[0]], outside)
    os.symlink(outside, content / "clips/link.mp3")  # leads out: never read
    for skipped in (".git", "output"):
        (content / skipped).mkdir()
        shutil.copyfile(clips[NAMES[0]], content / skipped / "x.mp3")
    return content


def test_audio_files_are_the_regular_ones_inside_the_content_folder(
    tmp_path: Path, clips
) -> None:
    content = clip_folder(tmp_path, clips, count=3)
    found = audio_files(content, skip=(content / "output",))
    real = os.path.realpath(content)
    assert found == [os.path.join(real, f"clips/{n:02d}.mp3") for n in range(3)]


def wait_until_idle(process) -> None:
    """Until a background process has read its share and waits to be asked."""
    stat = Path(f"/proc/{process.pid}/stat")
    deadline, idle = time.monotonic() + 60, 0
    while idle < 3 and time.monotonic() < deadline:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
        idle = idle + 1 if state == "S" else 0
        time.sleep(0.05)


def pages_of(content: Path, count: int = 6) -> list[PageWork]:
    """Pages showing the clips of :func:`clip_folder`, three each."""
    settings = AudioTableSettings()
    work = []
    for number in range(count):
        text = seed_post([f"/clips/{number * 3 + k:02d}.mp3" for k in range(3)])
        html = markdown.markdown(text.split("\n\n", 1)[1], extensions=["tables"])
        page = PageRef(
            f"post-{number}.md", f"post-{number}.html", f"post-{number}.html"
        )
        work.append(PageWork(html, page, settings))
    return work


def site_of(content: Path) -> SiteFiles:
    published = {f"clips/{n:02d}.mp3": f"clips/{n:02d}.mp3" for n in range(18)}
    return SiteFiles(content_root=content, published=published)


def pages_and_their_annotation(tmp_path: Path, clips):
    """48 clips, six pages showing them, and the pages as this process annotates them."""
    content = clip_folder(tmp_path, clips, count=48)
    work, site = pages_of(content), site_of(content)
    expected = [process_one(item, site, MetadataCache(None)) for item in work]
    return content, work, site, expected


def test_background_processes_bring_what_the_cache_would_read(
    tmp_path: Path, clips
) -> None:
    content = clip_folder(tmp_path, clips)
    started = start_background(content, skip=(content / "output",), processes=2)
    assert started is not None and len(started.processes) == 1  # 18 clips: one
    try:
        wait_until_idle(started.processes[0])
        entries = started.clips()
    finally:
        started.close()
    assert sorted(entries) == audio_files(content, skip=(content / "output",))
    # Keyed as resolving a clip keys it, so the build finds them.
    assert SiteFiles(content_root=content).real_path("clips/07.mp3") in entries
    cache = MetadataCache(None)
    for path, entry in entries.items():
        assert entry["metadata"] == cache.read(Path(path)).to_dict()
        assert entry["stamp"] == cache.stamp_of(Path(path))


def test_pages_parsed_ahead_come_back_as_this_process_would_annotate_them(
    tmp_path: Path, clips
) -> None:
    content, work, site, expected = pages_and_their_annotation(tmp_path, clips)
    started = start_background(content, skip=(content / "output",), processes=2)
    assert started is not None and len(started.processes) == 2
    try:
        for item in work[:4]:
            started.parse_ahead(item.html)
        assert set(started.parsed_by.values()) == {0, 1}  # shared out
        cache = MetadataCache(None)
        cache.merge(started.clips())
        done = started.annotate(work, site, cache)  # two were never sent ahead
    finally:
        started.close()
    assert done == expected
    # What the processes read is this process's to keep.
    for page in done:
        assert all(cache.stamp_of(Path(path)) == s for path, s in page.stamps.items())


def test_a_table_parsed_ahead_is_used_once_and_only_for_the_same_html(
    tmp_path: Path, clips
) -> None:
    content = clip_folder(tmp_path, clips)
    item, site = pages_of(content, 1)[0], site_of(content)
    (span,) = table_spans(item.html)
    fragment = item.html[span.start : span.end]
    stale = fragment.replace("Take 1", "Take one")
    parsed = {fragment: parse_tables(fragment), stale: parse_tables(stale)}
    used = parsed[fragment]
    (done,), _ = background._annotate(site, {}, [item], parsed)
    assert list(parsed) == [stale]  # taken, and the other page's left alone
    assert "Take one" not in done.processed.html
    assert done == process_one(item, site, MetadataCache(None))
    assert "audiotable-caption" in str(used.soup)  # it was this one annotated


def test_pages_of_a_background_process_that_died_are_annotated_all_the_same(
    tmp_path: Path, clips
) -> None:
    content, work, site, expected = pages_and_their_annotation(tmp_path, clips)
    for dead in ([0], [0, 1]):
        started = start_background(content, skip=(content / "output",), processes=2)
        assert started is not None
        try:
            for item in work:
                started.parse_ahead(item.html)
            for index in dead:
                started.processes[index].kill()
                started.processes[index].join()
            cache = MetadataCache(None)
            cache.merge(started.clips())
            # The one left does them all; with none left, this process does.
            done = process_pages(work, site, cache, 2, started)
        finally:
            started.close()
        assert done == expected


def test_few_clips_one_process_or_no_processes_start_nothing(
    tmp_path: Path, clips, monkeypatch
) -> None:
    content = clip_folder(tmp_path, clips, count=5)
    assert start_background(content, skip=(), processes=2) is None
    content = clip_folder(tmp_path / "more", clips)
    assert start_background(content, skip=(), processes=1) is None

    def no_processes(*args: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(Background, "start", no_processes)
    assert start_background(content, skip=(), processes=2) is None


def test_a_cold_build_with_background_reading_is_the_same_site(
    tmp_path: Path, clips
) -> None:
    def build(folder: str, workers: int) -> dict[str, str]:
        root = tmp_path / folder
        clip_folder(root, clips)
        files = {
            f"post-{page}.md": seed_post(
                [f"/clips/{page * 3 + k:02d}.mp3" for k in range(3)],
                slug=f"post-{page}",
            )
            for page in range(6)
        }
        output = build_site(root, files, AUDIOTABLE_WORKERS=workers)
        return {p.name: p.read_text() for p in output.glob("*.html")}

    alone = build("alone", 1)
    assert build("ahead", 2) == alone
    # What was read ahead is kept for the next build, unused files included.
    kept = json.loads((tmp_path / "ahead/cache/audiotable/clips.json").read_text())
    assert all("link.mp3" not in path for path in kept["entries"])
