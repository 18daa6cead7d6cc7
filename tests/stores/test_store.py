"""The clip store and the page store: facts by content, pages served while true,
exactly the affected pages built again, a CI clone that reads nothing it has seen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pelican_audiotable.plugin import signals, site
from tests.conftest import build_site, site_settings
from tests.plugin.test_build import page, seed_post


def tagged_mp3(folder: Path, title: str) -> Path:
    """A CBR MP3 whose size does not depend on its (equally long) title."""
    path = folder / f"{title}.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=2",
         "-metadata", f"title={title}", "-c:a", "libmp3lame", "-b:a", "64k",
         "-id3v2_version", "3", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_other_audio_with_the_old_size_and_mtime_shows_its_own_facts(
    tmp_path: Path,
) -> None:
    """``cp -p``, ``tar`` and ``rsync -t`` keep an old mtime over new bytes."""
    made = tmp_path / "made"
    made.mkdir()
    first, second = tagged_mp3(made, "Take A"), tagged_mp3(made, "Take B")
    assert first.stat().st_size == second.stat().st_size
    site = tmp_path / "site"
    files = {
        "clips/take.mp3": first,
        "post.md": seed_post(["/clips/take.mp3"], slug="post"),
    }
    output = build_site(site, files)
    assert page(output, "post.html").find("cite").get_text() == "Take A"
    clip = site / "content" / "clips" / "take.mp3"
    before = clip.stat()
    shutil.copyfile(second, clip)
    os.utime(clip, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (clip.stat().st_size, clip.stat().st_mtime_ns) == (
        before.st_size,
        before.st_mtime_ns,
    )
    output = build_site(site, {})
    assert page(output, "post.html").find("cite").get_text() == "Take B"


def site_of_three(clips: dict[str, Path]) -> dict[str, str | bytes | Path]:
    return {
        "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
        "clips/b.mp3": clips["vbr-xing-48k.mp3"],
        "clips/c.ogg": clips["vorbis-48k.ogg"],
        "one.md": seed_post(["/clips/a.mp3", "/clips/b.mp3"], slug="one"),
        "two.md": seed_post(["/clips/b.mp3"], slug="two"),
        "three.md": seed_post(["/clips/c.ogg"], slug="three"),
    }


def html_of(output: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in output.glob("*.html")}


def test_a_ci_clone_with_its_cache_reads_no_clip_and_parses_no_table(
    tmp_path: Path, clips
) -> None:
    """A fresh clone elsewhere, every mtime new, ``CACHE_PATH`` restored."""
    built = html_of(build_site(tmp_path / "here", site_of_three(clips)))
    clone = tmp_path / "ci"
    shutil.copytree(tmp_path / "here", clone, copy_function=shutil.copyfile)
    shutil.rmtree(clone / "output")
    output = build_site(clone, {})
    assert html_of(output) == built
    counts = signals.last_build()
    assert (counts.clips_read, counts.pages_annotated, counts.pages_served) == (0, 0, 3)
    assert counts.clips_hashed == 3  # new mtimes: each clip hashed, none read


@pytest.mark.parametrize(
    ("change", "built_again"),
    [
        ("clip a changed", {"one"}),
        ("clip c moved away", {"three"}),
        ("a setting changed", {"one", "two", "three"}),
        ("a new version", {"one", "two", "three"}),
        ("the code changed, not its version", {"one", "two", "three"}),
    ],
)
def test_exactly_the_affected_pages_are_built_again(
    tmp_path: Path, clips, change: str, built_again: set[str], monkeypatch
) -> None:
    build_site(tmp_path, site_of_three(clips))
    content = tmp_path / "content"
    settings: dict[str, object] = {}
    if change == "clip a changed":
        shutil.copyfile(clips["cover-art.mp3"], content / "clips" / "a.mp3")
    elif change == "clip c moved away":
        (content / "clips" / "c.ogg").rename(content / "c-old.ogg")
    elif change == "a setting changed":
        settings["AUDIOTABLE_PRELOAD"] = "metadata"
    elif change.startswith("the code changed"):  # an editable install, edited
        monkeypatch.setattr(site, "code_version", lambda *suffixes: "0.1.0+edited")
    else:
        for name in ("stamps.json", "clips.json", "pages.json"):
            store = tmp_path / "cache" / "audiotable" / name
            payload = json.loads(store.read_text())
            payload["version"] = "0.0.1/1"
            store.write_text(json.dumps(payload))
    output = build_site(tmp_path, {}, **settings)
    counts = signals.last_build()
    assert counts.pages_annotated == len(built_again)
    assert counts.pages_served == 3 - len(built_again)
    if change == "clip c moved away":
        assert page(output, "three.html").audio["data-audiotable-error"] == "missing"
    if change == "clip a changed":
        assert page(output, "one.html").find("cite").get_text() == "With cover"


def test_the_stores_are_plain_json_pruned_and_rebuilt_when_damaged(
    tmp_path: Path, clips, caplog
) -> None:
    import logging

    caplog.set_level(logging.INFO)
    build_site(tmp_path, site_of_three(clips))
    folder = tmp_path / "cache" / "audiotable"
    assert sorted(p.name for p in folder.iterdir()) == [
        "clips.json",
        "pages",
        "pages.json",
        "published",  # the spectrograms pages show
        "stamps.json",
    ]
    assert len(list((folder / "published" / "spectra").iterdir())) == 3
    assert len(list((folder / "pages").iterdir())) == 3  # a file a page, no pickle
    facts = json.loads((folder / "clips.json").read_text())
    assert len(facts["payload"]) == 3 and facts["version"].startswith("0.1.0+")
    (tmp_path / "content" / "three.md").unlink()  # c.ogg: used by no page now
    build_site(tmp_path, {})
    assert signals.last_build().pages_served == 2
    assert len(json.loads((folder / "clips.json").read_text())["payload"]) == 2
    assert len(json.loads((folder / "stamps.json").read_text())["payload"]) == 2
    assert len(list((folder / "published" / "spectra").iterdir())) == 2
    assert len(list((folder / "pages").iterdir())) == 2
    (folder / "clips.json").write_text("{not json")
    (folder / "pages.json").write_text('{"version": 3}')
    output = build_site(tmp_path, {})
    assert "clip store is unreadable" in caplog.text
    assert "page store is from another version" in caplog.text
    assert page(output, "one.html").audio["data-duration"] == "7.300"
    assert len(json.loads((folder / "clips.json").read_text())["payload"]) == 2


def test_an_unknown_setting_is_named_with_the_nearest_valid_one(
    site, clips, warnings
) -> None:
    site(site_of_three(clips), AUDIOTABLE_PRELAOD="auto")
    assert "unknown setting AUDIOTABLE_PRELAOD; did you mean AUDIOTABLE_PRELOAD?" in (
        " ".join(warnings())
    )


def test_pelican_content_learns_clips_in_spawned_processes(
    tmp_path: Path, clips
) -> None:
    """Through the command users run, with a pelicanconf.py that has no
    ``if __name__ == "__main__"`` guard: the pool's site is the one-process site."""
    files: dict[str, str | bytes | Path] = {}
    for copy in range(2):
        for name, clip in clips.items():
            files[f"clips/{copy}-{name}"] = clip
    names = sorted(files)
    for number in range(4):
        files[f"post-{number}.md"] = seed_post(
            [f"/{name}" for name in names[number::4]], slug=f"post-{number}"
        )
    build_site(tmp_path / "lay-out", files)  # writes the content folder

    def pelican_content(folder: str, workers: int) -> dict[str, str]:
        root = tmp_path / folder
        shutil.copytree(tmp_path / "lay-out" / "content", root / "content")
        conf = root / "pelicanconf.py"
        settings = site_settings(root, AUDIOTABLE_WORKERS=workers)
        conf.write_text("".join(f"{k} = {v!r}\n" for k, v in settings.items()))
        subprocess.run(
            [sys.executable, "-m", "pelican", "content", "-s", str(conf)],
            cwd=root,
            check=True,
            capture_output=True,
        )
        return html_of(root / "output")

    assert pelican_content("pooled", 2) == pelican_content("alone", 1)


def test_a_build_script_without_a_main_guard_builds_once(tmp_path: Path, clips) -> None:
    """Spawned workers import the parent's ``__main__``: a script that builds at
    import (no ``if __name__ == "__main__"``) must not build again in each."""
    files: dict[str, str | bytes | Path] = {}
    for copy in range(2):
        for name, clip in clips.items():
            files[f"clips/{copy}-{name}"] = clip
    files["post.md"] = seed_post([f"/{n}" for n in sorted(files)], slug="post")
    build_site(tmp_path / "lay-out", files)
    root = tmp_path / "site"
    shutil.copytree(tmp_path / "lay-out" / "content", root / "content")
    settings = site_settings(root, AUDIOTABLE_WORKERS=2)
    script = root / "build.py"
    script.write_text(
        "import json\n"
        "from pelican import Pelican\n"
        "from pelican.settings import read_settings\n"
        f"open({str(root / 'runs.txt')!r}, 'a').write('run\\n')\n"
        f"settings = json.loads({json.dumps(json.dumps(settings))})\n"
        "Pelican(read_settings(path=None, override=settings)).run()\n"
    )
    subprocess.run(
        [sys.executable, str(script)], cwd=root, check=True, capture_output=True
    )
    assert (root / "runs.txt").read_text() == "run\n"
    assert page(root / "output", "post.html").audio["data-duration"]


def test_where_no_pool_can_start_the_clips_are_read_here(
    tmp_path: Path, clips, monkeypatch, caplog
) -> None:
    import logging

    from pelican_audiotable.learn import pool

    def no_processes(*args: object) -> None:
        raise OSError("no processes in this sandbox")

    files: dict[str, str | bytes | Path] = {
        f"clips/{copy}-{name}": clip
        for copy in range(2)
        for name, clip in clips.items()
    }
    files["post.md"] = seed_post([f"/{n}" for n in sorted(files)], slug="post")
    reading = {"AUDIOTABLE_WORKERS": 2, "AUDIOTABLE_ANALYSIS": False}
    pooled = html_of(build_site(tmp_path / "pooled", files, **reading))
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(pool, "_pool", no_processes)
    alone = html_of(build_site(tmp_path / "alone", files, **reading))
    assert alone == pooled
    said = [r.getMessage() for r in caplog.records if "this process" in r.getMessage()]
    assert said == [
        "audiotable: clips are read in this process, not decoded "
        "(OSError('no processes in this sandbox'))"
    ]


def test_a_summary_is_cut_once_and_never_served_stale(
    tmp_path: Path, clips, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's summary is kept with it: a warm build cuts none; Pelican's limits
    changed, each is cut again, to the new limits."""
    from pelican_audiotable.plugin import content

    cut = []
    real = content._summary_of
    monkeypatch.setattr(
        content, "_summary_of", lambda *args: cut.append(1) or real(*args)
    )
    files = site_of_three(clips)
    build_site(tmp_path, files)
    assert len(cut) == 3
    warm = html_of(build_site(tmp_path, {}))
    assert len(cut) == 3, "a warm build cut a summary again"
    assert warm == html_of(build_site(tmp_path, {}))
    short = build_site(tmp_path, {}, SUMMARY_MAX_LENGTH=3)
    assert len(cut) == 6
    index = (short / "index.html").read_text()
    assert index != warm["index.html"]
    assert "…" in index


#: A build run by ``pelican content`` that is killed (SIGKILL: no handler runs)
#: while it copies the first file of the clip store into the output, half-written.
KILLED_MIDWAY = """
import os, shutil, signal, sys
copy = shutil.copyfile
def dying(source, target, *args, **kwargs):
    if "/audiotable/published/" in str(source):
        with open(target, "wb") as half:
            half.write(open(source, "rb").read()[:1000])
        os.kill(os.getpid(), signal.SIGKILL)
    return copy(source, target, *args, **kwargs)
shutil.copyfile = dying
from pelican import main
sys.argv = ["pelican", "content", "-s", "pelicanconf.py"]
main()
"""


def test_a_build_killed_while_it_publishes_leaves_no_part_in_the_site(
    tmp_path: Path, clips
) -> None:
    """The part a killed build was writing is in the cache's scratch folder, not
    in the output; the next build removes it and publishes whole files."""
    files = site_of_three(clips)
    files["blind.md"] = (
        "Title: Blind\nSlug: blind\nAudiotable_blind: yes\n\n"
        "| Human | AI |\n|--|--|\n| [a](/clips/a.mp3) | [b](/clips/b.mp3) |\n"
    )
    build_site(tmp_path, files)  # the site as it was, and its settings
    output = tmp_path / "output"
    shutil.rmtree(output / "audiotable")  # its copies to be published again
    settings = site_settings(tmp_path)
    (tmp_path / "pelicanconf.py").write_text(
        "".join(f"{key} = {value!r}\n" for key, value in settings.items())
    )
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_MIDWAY], cwd=tmp_path, capture_output=True
    )
    assert killed.returncode == -9, killed.stderr[-2000:]
    scratch = tmp_path / "cache" / "audiotable" / "scratch"
    assert [p.name.endswith(".partial") for p in scratch.iterdir()] == [True]
    left = [p for p in output.rglob("*") if p.name.endswith(".partial")]
    assert left == []
    assert not (output / "audiotable").exists() or not any(
        p.is_file() and p.stat().st_size == 1000
        for p in (output / "audiotable").rglob("*")
    )
    rebuilt = build_site(tmp_path, {})
    assert not scratch.exists() or list(scratch.iterdir()) == []
    store = tmp_path / "cache" / "audiotable" / "published"
    published = [p for p in (rebuilt / "audiotable").rglob("*") if p.is_file()]
    assert published
    for file in published:  # whole: each as the store holds it
        made = store / file.relative_to(rebuilt / "audiotable")
        assert file.read_bytes() == made.read_bytes()


def test_a_file_written_whole_leaves_no_part_when_the_disk_is_full(
    tmp_path: Path, monkeypatch
) -> None:
    """A full disk midway through a copy into the output: the old file or none,
    and no ``….partial`` beside it."""
    import errno
    import shutil

    from pelican_audiotable.files import write_whole

    source = tmp_path / "copy.mp3"
    source.write_bytes(b"\xff\xfb" * 5000)
    target = tmp_path / "output" / "audiotable" / "blind" / "copy.mp3"

    def full(src: object, dst: Path) -> None:
        Path(dst).write_bytes(b"\xff\xfb" * 10)  # part of it, then no room
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(OSError, match="No space"):
        write_whole(target, source)
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize(
    "damage",
    [5, "x", None, [], [1, 2, 3, 4], ["a", "b", "c", "d", "e"],
     [1, 2, 3, 4, 5], [1.5, 2, 3, 4, "0" * 32], {"a": 1}, [1, 2, 3, 4, "0" * 31]],
)  # fmt: skip
def test_a_damaged_stamp_is_hashed_again_never_a_crash(
    tmp_path: Path, clips, damage: object
) -> None:
    build_site(tmp_path, site_of_three(clips))
    store = tmp_path / "cache" / "audiotable" / "stamps.json"
    kept = json.loads(store.read_text())
    for name in kept["payload"]:
        kept["payload"][name] = damage
    store.write_text(json.dumps(kept))
    output = build_site(tmp_path, {})
    assert page(output, "one.html").audio["data-duration"] == "7.300"
    assert signals.last_build().clips_hashed == 3


def test_a_damaged_entry_is_dropped_with_a_note(tmp_path: Path, clips, caplog) -> None:
    """Each store's damaged entry is said (a note, not a warning: the build
    heals it), and only that entry is dropped: the page store's others serve."""
    import logging

    files = site_of_three(clips)
    files["blind.md"] = (
        "Title: Blind\nSlug: blind\nAudiotable_blind: yes\n\n"
        "| Human | AI |\n|--|--|\n| [a](/clips/a.mp3) | [b](/clips/b.mp3) |\n"
    )
    reference = html_of(build_site(tmp_path, files))
    folder = tmp_path / "cache" / "audiotable"

    def damage(name: str, entries: int | None = None) -> None:
        kept = json.loads((folder / name).read_text())
        for key in sorted(kept["payload"])[:entries]:
            kept["payload"][key] = "x"
        (folder / name).write_text(json.dumps(kept))

    for name in ("stamps.json", "clips.json", "copies.json", "pages.json"):
        damage(name)
    caplog.set_level(logging.INFO)
    assert html_of(build_site(tmp_path, {})) == reference
    notes = [
        r.getMessage() for r in caplog.records if "damaged entry" in r.getMessage()
    ]
    for store in (
        "clip store's stamps",
        "clip store",
        "blind copies' store",
        "page store",
    ):
        assert any(
            f"audiotable: the {store} had a damaged entry" in note for note in notes
        ), (store, notes)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    damage("pages.json", 1)  # one page's entry: the others still serve
    assert html_of(build_site(tmp_path, {})) == reference
    assert signals.last_build().pages_served == 3  # of four: one page built again


#: What a hand, a bad disk or another tool could leave in a store's field.
DAMAGES = ("x", [])


def _fields(entry: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The paths of every field of a kept entry (two levels deep)."""
    if not isinstance(entry, dict) or len(path) >= 2:
        return [path] if path else []
    return [p for key, value in entry.items() for p in _fields(value, (*path, key))]


def test_every_field_of_every_store_damaged_is_never_a_crash(
    tmp_path: Path, clips
) -> None:
    """The store corruption matrix: each field of the clip store, the blind
    copies' store and the page store, given each of two damages in turn (every
    entry at once); the build ends, and the pages it writes are the pages a
    sound store gives, or (a damage that is a valid value, such as "x" for a
    title, or [] for an envelope) what that value says."""
    import subprocess

    files: dict[str, str | bytes | Path] = {}
    for name, tone in (("a.mp3", 440), ("b.mp3", 660)):  # short: decoded at once
        made = tmp_path / name
        subprocess.run(
            ["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
             f"sine=f={tone}:d=1.5", "-ac", "2", "-c:a", "libmp3lame", str(made)],
            check=True,
        )  # fmt: skip
        files[f"clips/{name}"] = made
    files["one.md"] = seed_post(["/clips/a.mp3", "/clips/b.mp3"], slug="one")
    files["blind.md"] = (
        "Title: Blind\nSlug: blind\nAudiotable_blind: yes\n\n"
        "| Human | AI |\n|--|--|\n| [a](/clips/a.mp3) | [b](/clips/b.mp3) |\n"
    )
    one = {"AUDIOTABLE_WORKERS": 1}  # in-process: no workers to start, 177 times
    reference = html_of(build_site(tmp_path, files, **one))
    folder = tmp_path / "cache" / "audiotable"
    sound = {name: (folder / name).read_text() for name in
             ("clips.json", "copies.json", "pages.json")}  # fmt: skip
    outcomes: dict[str, int] = {"same pages": 0, "pages as the value says": 0}
    for name, text in sound.items():
        kept = json.loads(text)
        first = next(iter(kept["payload"].values()))
        for field in _fields(first):
            for damage in DAMAGES:
                damaged = json.loads(text)
                for entry in damaged["payload"].values():
                    target = entry
                    for key in field[:-1]:
                        target = target.get(key, {}) if isinstance(target, dict) else {}
                    if isinstance(target, dict) and field[-1] in target:
                        target[field[-1]] = damage
                for other, good in sound.items():
                    (folder / other).write_text(good)
                (folder / name).write_text(json.dumps(damaged))
                if name != "pages.json":  # pages built anew, from the facts
                    (folder / "pages.json").unlink()
                pages = html_of(build_site(tmp_path, {}, **one))  # never raises
                assert set(pages) == set(reference), (name, field, damage)
                same = pages == reference
                outcomes["same pages" if same else "pages as the value says"] += 1
                if damage in ("x", []) and field[-1] in (
                    "duration", "size", "loudness", "true_peak", "sample_rate",
                ):  # fmt: skip
                    assert same, (name, field, damage)
    print("store corruption matrix:", outcomes)
    assert outcomes["same pages"] > outcomes["pages as the value says"]
