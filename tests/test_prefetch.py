"""Clips read in the background on a cold build: the files chosen, what comes back,
and a site built with it the same as one built without."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from pelican_audiotable import prefetch
from pelican_audiotable.cache import MetadataCache
from pelican_audiotable.prefetch import audio_files, start_prefetch
from pelican_audiotable.resolve import SiteFiles
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


def test_background_readers_bring_what_the_cache_would_read(
    tmp_path: Path, clips
) -> None:
    content = clip_folder(tmp_path, clips)
    prefetch = start_prefetch(content, skip=(content / "output",), processes=2)
    assert prefetch is not None and len(prefetch.readers) == 1  # 18 clips: one
    # Eighteen small entries pass through the pipe at once: let it finish.
    for process, _ in prefetch.readers:
        process.join(timeout=60)
    entries = prefetch.collect()
    assert sorted(entries) == audio_files(content, skip=(content / "output",))
    # Keyed as resolving a clip keys it, so the build finds them.
    assert SiteFiles(content_root=content).real_path("clips/07.mp3") in entries
    cache = MetadataCache(None)
    for path, entry in entries.items():
        assert entry["metadata"] == cache.read(Path(path)).to_dict()
        assert entry["stamp"] == cache.stamp_of(Path(path))


def test_few_clips_one_process_or_no_processes_read_nothing_ahead(
    tmp_path: Path, clips, monkeypatch
) -> None:
    content = clip_folder(tmp_path, clips, count=5)
    assert start_prefetch(content, skip=(), processes=2) is None
    content = clip_folder(tmp_path / "more", clips)
    assert start_prefetch(content, skip=(), processes=0) is None

    def no_processes(*args: object) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(prefetch.Prefetch, "start", no_processes)
    assert start_prefetch(content, skip=(), processes=2) is None


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
