"""What no file may do to a build: hang it (a FIFO), hold it (a costly decode), or
outlive it (workers after ``kill -9``). Builds run as users run them:
``pelican content`` in a process of its own."""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pelican_audiotable.errors import TooCostly
from pelican_audiotable.learn.analysis import analyse
from pelican_audiotable.learn.metadata import UnsupportedCodec, read_metadata
from tests import hostile

PAGE = (
    "Title: Takes\nDate: 2025-01-01\n\n| Take | |\n|--|--|\n"
    "| First | [a](/clips/a.mp3) |\n| Piped | [p](/clips/pipe.mp3) |\n"
)
SETTINGS = """
PATH = "content"
OUTPUT_PATH = "output"
CACHE_PATH = "cache"
STATIC_PATHS = ["clips"]
TIMEZONE = "UTC"
PLUGINS = ["pelican_audiotable"]
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
AUDIOTABLE_WORKERS = 2
"""


def site_with(root: Path, clips: dict[str, Path], extra: str = "") -> Path:
    content = root / "content" / "clips"
    content.mkdir(parents=True)
    (content / "a.mp3").write_bytes(clips["cbr-128-stereo-44k.mp3"].read_bytes())
    (root / "content" / "post.md").write_text(PAGE)
    (root / "pelicanconf.py").write_text(SETTINGS + extra)
    return root


def pelican(root: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``pelican content`` as users run it, its log on lines wide enough that
    no message is wrapped (Pelican's log wraps at the terminal's width)."""
    return subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py"],
        cwd=root,
        env={**os.environ, "COLUMNS": "1000"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_fifo_named_like_a_clip_never_blocks_a_build(tmp_path: Path, clips) -> None:
    root = site_with(tmp_path, clips)
    os.mkfifo(root / "content" / "clips" / "pipe.mp3")  # linked from the page
    os.mkfifo(root / "content" / "clips" / "idle.mp3")  # linked from nowhere
    for build in ("first", "warm"):
        run = pelican(root)
        assert run.returncode == 0, (build, run.stdout, run.stderr)
        assert "pipe.mp3" in run.stdout + run.stderr, build
        page = (root / "output" / "takes.html").read_text()
        assert 'data-duration="7.' in page  # the real clip beside it is annotated
    check = subprocess.run(
        [sys.executable, "-m", "pelican_audiotable.cli.commands", "check", "content",
         "-s", "pelicanconf.py"],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "pipe.mp3" in check.stdout + check.stderr
    assert "First: /clips/a.mp3" in check.stdout


def test_a_clip_that_costs_too_much_to_decode_is_given_up_and_still_shown(
    tmp_path: Path, clips
) -> None:
    with pytest.raises(TooCostly, match="too costly to analyse"):
        analyse(clips["cbr-128-stereo-44k.mp3"], budget=0.0)
    root = site_with(tmp_path, clips, "AUDIOTABLE_DECODE_BUDGET = 0.000001\n")
    (root / "content" / "post.md").write_text(PAGE.replace("Piped", "Again"))
    (root / "content" / "clips" / "pipe.mp3").write_bytes(
        clips["cbr-128-stereo-44k.mp3"].read_bytes()
    )
    run = pelican(root)
    assert run.returncode == 0, run.stderr
    assert "too costly to analyse" in run.stdout + run.stderr
    page = (root / "output" / "takes.html").read_text()
    assert 'data-duration="7.' in page and "data-loudness" not in page
    # A larger budget tries it again: nothing given up is kept as final.
    settings = root / "pelicanconf.py"
    settings.write_text(settings.read_text().replace("0.000001", "30"))
    run = pelican(root)
    assert "too costly" not in run.stdout + run.stderr
    assert "data-loudness" in (root / "output" / "takes.html").read_text()


def wav_header(rate: int, seconds: int = 1) -> bytes:
    data = b"\x00\x00" * rate * seconds
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def test_sample_rates_no_browser_plays_are_unsupported(tmp_path: Path) -> None:
    slow = tmp_path / "slow.wav"
    slow.write_bytes(wav_header(8, seconds=3600))  # published as 1:00:00 before
    with pytest.raises(UnsupportedCodec, match="8 Hz"):
        read_metadata(slow)
    fine = tmp_path / "fine.wav"
    fine.write_bytes(wav_header(8000))
    assert read_metadata(fine).sample_rate == 8000


def _descendants(pid: int) -> set[int]:
    found, pending = set(), [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = (task / "children").read_text().split()
            found.update(int(child) for child in children)
            pending += [int(child) for child in children]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_build_leaves_no_process_behind(tmp_path: Path, clips) -> None:
    """Read from /proc: Linux, as CI and every developer's machine here are."""
    root = site_with(tmp_path, clips)
    (root / "content" / "post.md").write_text(
        PAGE.replace("/clips/pipe.mp3", "/clips/b.flac")
    )
    for index in range(6):  # new to the store: workers start to decode them
        (root / "content" / "clips" / f"c{index}.flac").write_bytes(
            clips[next(n for n in clips if n.endswith(".flac"))].read_bytes()
            + bytes([index])
        )
    build = subprocess.Popen(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: set[int] = set()
    deadline = time.monotonic() + 60
    while len(children) < 2 and build.poll() is None and time.monotonic() < deadline:
        children = _descendants(build.pid)
        time.sleep(0.02)
    assert children, "the build started no worker"
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 2
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in children if _alive(pid)] == []


def with_last_granule_times(data: bytes, factor: int) -> bytes:
    """An Ogg file whose last page claims ``factor`` times its granule position,
    its checksum made right again: what a damaged upload or a forger leaves."""
    at = data.rfind(b"OggS")
    page = bytearray(data[at:])
    (granule,) = struct.unpack_from("<q", page, 6)
    struct.pack_into("<q", page, 6, granule * factor)
    struct.pack_into("<I", page, 22, 0)
    struct.pack_into("<I", page, 22, hostile._ogg_crc(bytes(page)))
    return data[:at] + bytes(page)


def test_a_damaged_clip_shows_the_length_that_plays(tmp_path: Path, clips) -> None:
    forged = with_last_granule_times(clips["opus-stereo.opus"].read_bytes(), 20)
    (tmp_path / "forged.opus").write_bytes(forged)
    promised = read_metadata(tmp_path / "forged.opus").duration
    decoded = analyse(tmp_path / "forged.opus").decoded
    assert promised is not None and decoded is not None
    assert promised > 10 * decoded  # the header lies; the decoder does not
    root = site_with(tmp_path / "site", clips)
    (root / "content" / "clips" / "pipe.opus").write_bytes(forged)
    (root / "content" / "post.md").write_text(PAGE.replace("pipe.mp3", "pipe.opus"))
    run = pelican(root)
    assert run.returncode == 0, run.stderr
    assert "truncated: the header promises" in run.stdout + run.stderr
    page = (root / "output" / "takes.html").read_text()
    assert f'data-duration="{decoded:.3f}"' in page
    assert 'data-truncated="true"' in page


def test_a_long_first_build_says_what_it_is_doing(tmp_path: Path) -> None:
    """Not a terminal (as in CI): the summary line, and under -q nothing."""
    root = tmp_path / "site"
    (root / "content" / "clips").mkdir(parents=True)
    rows = []
    for number in range(8):
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
             "-i", f"sine=f={200 + 40 * number}:r=48000", "-t", "60",
             "-c:a", "flac", str(root / "content" / "clips" / f"{number}.flac")],
            check=True,
        )  # fmt: skip
        rows.append(f"| Take {number} | [t](/clips/{number}.flac) |")
    (root / "content" / "post.md").write_text(
        "Title: Takes\nDate: 2025-01-01\n\n| Take | |\n|--|--|\n" + "\n".join(rows)
    )
    (root / "pelicanconf.py").write_text(SETTINGS.replace("= 2", "= 1"))
    run = pelican(root)
    assert run.returncode == 0, run.stderr
    said = [line for line in run.stderr.splitlines() if line.startswith("audiotable:")]
    # A line as it goes, not only at the end (a log has no spinner to show it).
    assert any(" of 8" in line for line in said), said
    assert said[-1].startswith(
        "audiotable: 8 clips hashed, 8 new ones read and decoded"
    )
    for folder in ("output", "cache"):
        shutil.rmtree(root / folder)
    quiet = subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-q"],
        cwd=root, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "audiotable" not in quiet.stderr + quiet.stdout


def test_progress_counts_and_estimates(monkeypatch, capsys) -> None:
    from pelican_audiotable.learn import progress

    clock = iter([0.0, 2.0, 2.0, 13.0, 14.0])
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(progress, "_spinner", lambda: None)
    work = progress.Progress("decoding clips:", 10)
    work.advance()  # at 2 s: the first report
    work.advance()  # at 2 s again: too soon for another in a log
    work.advance()  # at 13 s
    work.finish("10 clips decoded")
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "audiotable: decoding clips: 1 of 10, about 18 s left",
        "audiotable: decoding clips: 3 of 10, about 30 s left",
        "audiotable: 10 clips decoded in 14.0 s",
    ]


def crash_or_answer(job: int) -> int:
    """A worker's job for the test below: job 1 takes its process down, as a
    segfault in FFmpeg's C code would; job 2 raises a bug; the others answer
    (job 0 after the crash, so that it must be run again)."""
    if job == 0:
        time.sleep(0.5)
    if job == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    if job == 2:
        raise ZeroDivisionError("a bug")
    return job * 10


def test_a_copy_that_crashes_its_worker_is_told_apart_from_the_rest() -> None:
    from pelican_audiotable.learn.pool import CRASHED, DecodeBudget, each_apart
    from pelican_audiotable.model import Unreadable

    results = each_apart(
        crash_or_answer, [(0,), (1,), (2,), (3,)], 2, DecodeBudget(), "testing:"
    )
    # Beside the crash, or after it: run again, alone; an answer of 0 is one.
    assert results[0] == 0 and results[3] == 30
    assert isinstance(results[1], Unreadable) and results[1].message == CRASHED
    assert isinstance(results[2], Unreadable)
    assert results[2].message == "it failed (a bug); please report it"


def test_two_builds_at_once_share_one_cache(tmp_path: Path, clips) -> None:
    """A preview's rebuild beside a manual build, one cache: the second waits
    for the first (saying so), and both write the same site."""
    root = site_with(tmp_path, clips)
    flac = clips[next(n for n in clips if n.endswith(".flac"))].read_bytes()
    rows = []
    for index in range(8):  # new to the store: both builds would learn them
        (root / "content" / "clips" / f"c{index}.flac").write_bytes(
            flac + bytes([index])
        )
        rows.append(f"| Take {index} | [a](/clips/c{index}.flac) | [b](/clips/a.mp3) |")
    (root / "content" / "post.md").write_text(
        "Title: Takes\nDate: 2025-01-01\nAudiotable_blind: yes\n\n"
        "| | Human | AI |\n|--|--|--|\n" + "\n".join(rows) + "\n"
    )
    builds = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pelican",
                "content",
                "-s",
                "pelicanconf.py",
                "-o",
                f"output-{n}",
            ],
            cwd=root,
            env={**os.environ, "COLUMNS": "1000"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    said = [build.communicate(timeout=300) for build in builds]
    for build, (out, err) in zip(builds, said, strict=True):
        assert build.returncode == 0, err
        assert "Traceback" not in out + err and "Error" not in out + err
    pages = [(root / f"output-{n}" / "takes.html").read_text() for n in range(2)]
    assert pages[0] == pages[1]
    assert not list((root / "cache").rglob("*.partial"))


def test_advice_never_fails_a_build_with_fatal_warnings(tmp_path: Path, clips) -> None:
    """An unfair comparison is advice: shown, even under ``--fatal warnings``
    never failing (unless AUDIOTABLE_STRICT_FAIRNESS asks), and not shown under
    ``-q``."""
    quiet_feeds = "TRANSLATION_FEED_ATOM = None\nAUTHOR_FEED_ATOM = None\n"
    root = site_with(tmp_path, clips, quiet_feeds + "AUTHOR_FEED_RSS = None\n")
    (root / "content" / "clips" / "b.ogg").write_bytes(
        clips[next(n for n in clips if n.endswith(".ogg"))].read_bytes()
    )
    (root / "content" / "post.md").write_text(
        "Title: Takes\nDate: 2025-01-01\n\n| | Ours | Theirs |\n|--|--|--|\n"
        "| Verse | [a](/clips/a.mp3) | [b](/clips/b.ogg) |\n"
    )

    def run(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py",
             *flags],
            cwd=root, env={**os.environ, "COLUMNS": "1000"},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    said = run("--fatal", "warnings")
    assert said.returncode == 0, said.stderr
    advice = [line for line in said.stdout.splitlines() if "ADVICE" in line]
    assert len(advice) == 3 and all("table 1: Verse:" in a for a in advice), advice
    assert "WARNING" not in said.stdout
    quiet = run("-q")
    assert "audiotable" not in quiet.stdout + quiet.stderr
    (root / "pelicanconf.py").write_text(
        (root / "pelicanconf.py").read_text() + "AUDIOTABLE_STRICT_FAIRNESS = True\n"
    )
    strict = run("--fatal", "warnings")
    assert strict.returncode != 0


def test_a_build_waits_for_the_cache_and_says_so(tmp_path: Path, clips) -> None:
    """The cache held (as a build beside this one holds it): the build waits,
    says why, and goes on once it is free."""
    from pelican_audiotable.files import FolderLock

    root = site_with(tmp_path, clips)
    (root / "content" / "post.md").write_text(
        PAGE.replace("| Piped | [p](/clips/pipe.mp3) |\n", "")
    )
    held = FolderLock(root / "cache" / "audiotable")
    held.acquire()
    said = tmp_path / "said.txt"
    try:
        with said.open("w") as log:
            build = subprocess.Popen(
                [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py"],
                cwd=root, env={**os.environ, "COLUMNS": "1000"},
                stdout=subprocess.DEVNULL, stderr=log, text=True,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while "waiting for it to end" not in said.read_text():
            assert build.poll() is None, said.read_text()  # waiting, not ended
            assert time.monotonic() < deadline, said.read_text()
            time.sleep(0.2)
    finally:
        held.release()
    assert build.wait(timeout=120) == 0, said.read_text()
    assert "another build is using the cache" in said.read_text()
    assert (root / "output" / "takes.html").is_file()
