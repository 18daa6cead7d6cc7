"""The command line: ``inspect`` for files, ``check`` for a whole site."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pelican_audiotable.cli.commands import INSPECT_KEYS, main
from pelican_audiotable.cli.server import serving


def test_inspect_json_reports_every_file_with_all_keys(
    clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"<html>")
    files = [clips["vbr-noheader-44k.mp3"], broken, clips["flac-44k.flac"]]
    code = main(["inspect", "--json", *map(str, files)])
    records = json.loads(capsys.readouterr().out)
    assert code == 1  # one file is broken
    assert [list(r) for r in records] == [list(INSPECT_KEYS)] * 3
    vbr, bad, flac = records
    assert vbr["duration"] == pytest.approx(11.2327, abs=0.001)
    assert vbr["bitrate_mode"] == "VBR" and vbr["error"] is None
    assert bad["error"] == "not an audio file (it looks like an HTML page)"
    assert bad["duration"] is None and bad["path"] == str(broken)
    assert flac["title"] == "Lossless" and flac["codec"] == "FLAC"


def test_inspect_prints_a_line_per_file(clips, capsys) -> None:
    assert main(["inspect", str(clips["cbr-128-stereo-44k.mp3"])]) == 0
    out = capsys.readouterr().out
    assert "0:07.3 (7.300 s, header) MP3 · 128 kbps · 44.1 kHz stereo" in out
    assert "Verse (take 2)" in out


def check(content: Path, settings: Path) -> subprocess.CompletedProcess[str]:
    """``pelican-audiotable check`` in a process of its own, as CI runs it."""
    command = ["check", str(content), "-s", str(settings)]
    return subprocess.run(
        [sys.executable, "-m", "pelican_audiotable.cli.commands", *command],
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_lists_tables_and_fails_on_broken_clips(tmp_path: Path, clips) -> None:
    content = tmp_path / "content"
    (content / "clips").mkdir(parents=True)
    (content / "clips" / "a.mp3").write_bytes(
        clips["cbr-128-stereo-44k.mp3"].read_bytes()
    )
    (content / "post.md").write_text(
        "Title: Post\nDate: 2025-01-01\n\n| Take | |\n|--|--|\n"
        "| First | [a](/clips/a.mp3) |\n| Second | [b](/clips/missing.mp3) |\n"
    )
    settings = tmp_path / "pelicanconf.py"
    settings.write_text('STATIC_PATHS = ["clips"]\nTIMEZONE = "UTC"\n')
    run = check(content, settings)
    assert run.returncode == 1, run.stderr
    assert "post.md" in run.stdout
    assert "First: /clips/a.mp3  0:07.3  MP3 · 128 kbps · 44.1 kHz stereo" in run.stdout
    assert "Second: /clips/missing.mp3  BROKEN (missing)" in run.stdout
    assert "post.md: clip '/clips/missing.mp3'" in run.stderr
    assert not (tmp_path / "output").exists()  # check writes nothing

    (content / "post.md").write_text(
        "Title: Post\nDate: 2025-01-01\n\n| Take |\n|--|\n| [a](/clips/a.mp3) |\n"
    )
    run = check(content, settings)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 clip(s), 0 problem(s)" in run.stdout


def test_preview_server_answers_byte_ranges(tmp_path: Path) -> None:
    (tmp_path / "clip.mp3").write_bytes(bytes(range(256)) * 4)
    with serving(tmp_path) as url:
        request = urllib.request.Request(
            url + "/clip.mp3", headers={"Range": "bytes=10-19"}
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 206
            assert response.headers["Content-Range"] == "bytes 10-19/1024"
            assert response.read() == bytes(range(10, 20))
        request = urllib.request.Request(
            url + "/clip.mp3", headers={"Range": "bytes=-4"}
        )
        with urllib.request.urlopen(request) as response:
            assert response.read() == bytes(range(252, 256))
        with urllib.request.urlopen(url + "/clip.mp3") as response:
            assert response.headers["Accept-Ranges"] == "bytes"
            assert len(response.read()) == 1024


def test_inspect_reports_every_file_whatever_fails(
    clips: dict[str, Path], tmp_path: Path, capsys, monkeypatch
) -> None:
    """A file that trips a parser bug, a folder, a missing file, a name that is not
    UTF-8: each gets its line, the rest are read, and the exit code says so."""
    from pelican_audiotable.learn.parsers import flac

    def broken(*args: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(flac, "playable_samples", broken)
    odd = tmp_path / "caf\udce9.mp3"
    odd.write_bytes(clips["cbr-128-stereo-44k.mp3"].read_bytes())
    files = [
        clips["flac-44k.flac"],
        tmp_path,
        tmp_path / "gone.mp3",
        odd,
        clips["vorbis-48k.ogg"],
    ]
    code = main(["inspect", *map(str, files)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert len(lines) == 5
    assert "reader failed" in lines[0] and "ZeroDivisionError" in lines[0]
    assert "error" in lines[1] and "error" in lines[2]
    assert "0:07.3" in lines[3] and "\\udce9" in lines[3]
    assert "0:08.8 (8.800 s" in lines[4]  # tenths under 10 s, cut


def test_inspect_json_keeps_the_tags_of_a_file_without_audio(tmp_path: Path, capsys):
    from tests import hostile

    tag = hostile.id3v2(hostile.id3_text_frame(b"TIT2", "Only a tag"))
    (tmp_path / "tag.mp3").write_bytes(tag + b"\x00" * 64)
    assert main(["inspect", "--json", str(tmp_path / "tag.mp3")]) == 1
    (record,) = json.loads(capsys.readouterr().out)
    assert record["title"] == "Only a tag" and "no MPEG audio" in record["error"]


def test_check_in_a_site_folder_reads_its_settings_and_never_its_output(
    tmp_path: Path, clips
) -> None:
    """Run as ``pelican`` is: no arguments, in the site's folder, after a build."""
    from tests.conftest import build_site

    files = {
        "clips/a.mp3": clips["cbr-128-stereo-44k.mp3"],
        "post.md": "Title: Post\nDate: 2025-01-01\n\n| Take |\n|--|\n"
        "| [a](/clips/a.mp3) |\n",
    }
    build_site(tmp_path, files)  # leaves output/ with the built post beside content/
    (tmp_path / "pelicanconf.py").write_text(
        'PATH = "content"\nSTATIC_PATHS = ["clips"]\nTIMEZONE = "UTC"\n'
    )
    run = subprocess.run(
        [sys.executable, "-m", "pelican_audiotable.cli.commands", "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[0] == "post.md"
    assert "1 page(s) with audio tables, 1 clip(s), 0 problem(s)" in run.stdout
    assert run.stderr == ""  # nor Pelican's feed and time zone warnings
    # The content folder as the site folder, output inside it, no settings file:
    (tmp_path / "pelicanconf.py").unlink()
    shutil.copytree(tmp_path / "output", tmp_path / "content" / "output")
    run = subprocess.run(
        [sys.executable, "-m", "pelican_audiotable.cli.commands", "check"],
        cwd=tmp_path / "content",
        capture_output=True,
        text=True,
        check=False,
    )
    assert "no pelicanconf.py here" in run.stderr
    assert run.stdout.splitlines()[0] == "post.md"
    assert "output/" not in run.stdout


def test_serve_says_why_it_cannot_serve(tmp_path: Path, capsys) -> None:
    import socket

    assert main(["serve", str(tmp_path / "nowhere")]) == 2
    assert "there is no folder" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", str(tmp_path), "--port", str(port)]) == 2
    said = capsys.readouterr().err
    assert f"port {port} is in use" in said and f"try --port {port + 1}" in said


def test_serve_sends_accept_ranges_once_and_the_site_404(tmp_path: Path) -> None:
    (tmp_path / "clip.mp3").write_bytes(bytes(1024))
    (tmp_path / "404.html").write_text("<h1>Not here</h1>")
    with serving(tmp_path) as url:
        for headers in ({}, {"Range": "bytes=0-9"}):
            request = urllib.request.Request(url + "/clip.mp3", headers=headers)
            with urllib.request.urlopen(request) as response:
                assert response.headers.get_all("Accept-Ranges") == ["bytes"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(url + "/gone.html")
        assert missing.value.code == 404
        assert missing.value.read() == b"<h1>Not here</h1>"


def test_serve_autoreload_builds_again_when_content_changes(
    tmp_path: Path, clips
) -> None:
    """The preview to write with: built at once, built again on a save, and seeking
    works (byte ranges), which Pelican's own server does not give."""
    import socket
    import time

    content = tmp_path / "content"
    (content / "clips").mkdir(parents=True)
    (content / "clips" / "a.mp3").write_bytes(
        clips["cbr-128-stereo-44k.mp3"].read_bytes()
    )
    post = content / "post.md"
    post.write_text(
        "Title: Post\nDate: 2025-01-01\n\nFirst draft.\n\n| Take |\n|--|\n| [a](/clips/a.mp3) |\n"
    )
    (tmp_path / "pelicanconf.py").write_text(
        'PATH = "content"\nOUTPUT_PATH = "output"\nSTATIC_PATHS = ["clips"]\n'
        'TIMEZONE = "UTC"\nPLUGINS = ["pelican_audiotable"]\nFEED_ALL_ATOM = None\n'
        "CATEGORY_FEED_ATOM = None\n"
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "pelican_audiotable.cli.commands", "serve", "--autoreload",
         "-s", "pelicanconf.py", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def page() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/post.html") as answer:
            return answer.read().decode()

    def eventually(check, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("never happened")

    try:
        eventually(lambda: "First draft." in page())
        post.write_text(post.read_text().replace("First draft.", "Second draft."))
        eventually(lambda: "Second draft." in page())
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/clips/a.mp3", headers={"Range": "bytes=0-9"}
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 206 and len(answer.read()) == 10
    finally:
        server.terminate()
        server.wait(10)


def test_each_preview_build_says_its_warnings_once_or_that_all_is_well(
    tmp_path: Path, clips, capsys
) -> None:
    """A missing clip was hidden behind "preview: built in 2.6 s"."""
    from pelican_audiotable.cli.autoreload import build

    content = tmp_path / "content"
    (content / "clips").mkdir(parents=True)
    long = "b-" + "with-a-name-long-enough-to-wrap-" * 3 + "b.mp3"
    (content / "post.md").write_text(
        "Title: Post\nDate: 2025-01-01\n\n| A | B |\n|--|--|\n"
        f"| [a](/clips/a.mp3) | [b](/clips/{long}) |\n"
    )
    (tmp_path / "pelicanconf.py").write_text(
        'PATH = "content"\nOUTPUT_PATH = "output"\nSTATIC_PATHS = ["clips"]\n'
        'TIMEZONE = "UTC"\nPLUGINS = ["pelican_audiotable"]\nFEED_ALL_ATOM = None\n'
        'CATEGORY_FEED_ATOM = None\nSITEURL = "https://example.org"\n'
    )
    assert build(tmp_path / "pelicanconf.py")
    said = capsys.readouterr().err.splitlines()
    missing = [line for line in said if "no published file" in line]
    assert len(missing) == 2 and all(
        line.startswith("preview: WARNING: ") for line in missing
    )
    assert any(f"/clips/{long}" in line for line in missing)  # whole, on one line
    assert said[-1].startswith("preview: built in ") and said[-1].endswith(
        ", 2 warnings"
    )
    for name in ("a.mp3", long):
        shutil.copy(clips["cbr-128-stereo-44k.mp3"], content / "clips" / name)
    assert build(tmp_path / "pelicanconf.py")
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1 and said[0].endswith(", all well")


def test_check_reads_what_the_build_learnt(tmp_path: Path, clips, monkeypatch) -> None:
    """After a build, ``check`` learns nothing again: no clip read or decoded,
    no blind copy made (before, it did all of it anew: 21 s on the demo where a
    warm build takes 2 s); and it says what the build says."""
    from pelican_audiotable.learn import pool
    from pelican_audiotable.plugin.check import check_site
    from tests.conftest import build_site, site_settings

    take = clips["cbr-128-stereo-44k.mp3"]
    files: dict[str, str | bytes | Path] = {
        "clips/a.mp3": take,
        "clips/b.mp3": clips["vbr-xing-48k.mp3"],
        "post.md": "Title: Post\nDate: 2025-01-01\nAudiotable_blind: yes\n\n"
        "| Human | AI |\n|--|--|\n| [a](/clips/a.mp3) | [b](/clips/b.mp3) |\n",
    }
    build_site(tmp_path, files)
    settings = tmp_path / "pelicanconf.py"
    settings.write_text(
        "".join(f"{k} = {v!r}\n" for k, v in site_settings(tmp_path).items())
    )

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("learnt again")

    monkeypatch.setattr(pool, "learn", never)
    monkeypatch.setattr(pool, "each_apart", never)
    pelican_log = logging.getLogger("pelican")
    level = pelican_log.level
    try:
        report = check_site(tmp_path / "content", settings)
    finally:
        pelican_log.setLevel(level)  # check quiets Pelican, for its own process
    [page] = report.pages
    [table] = page.tables
    assert table.blind and table.count == 2
    assert table.audit and table.audit[0].startswith("trial 1")
