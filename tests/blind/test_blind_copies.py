"""A blind trial's copies give nothing away: two takes that differ in every cue a
curious reader could use (format, rate, channels, size, length, lead-in, loudness,
bandwidth, tags, encoder strings) are published as copies that differ in none, and
the leak audit says so, in the build and in ``check``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pelican_audiotable.blind.leaks import trial_leaks
from pelican_audiotable.blind.recipes import CopyRecipe, trial_recipes
from pelican_audiotable.files import ENCODER_MARKS
from pelican_audiotable.learn.jobs import decode_clip, read_clip
from pelican_audiotable.model import ClipAnalysis, ClipMetadata, MadeCopy
from tests.conftest import build_site

POST = (
    "Title: Takes\nSlug: takes\nAudiotable_blind: yes\n\n"
    "| Session player | AI |\n|---|---|\n"
    '| <audio controls src="/clips/human-take.mp3"></audio> '
    '| <audio controls src="/clips/machine-take.flac"></audio> |\n'
)


def _make(target: Path, *arguments: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *arguments, str(target)], check=True)
    return target


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> dict[str, Path]:
    """Two takes as different as files get: an MP3 at 128 kbps, 44.1 kHz, tagged,
    6 dB quieter, low-passed at 8 kHz, with 0.4 s of silence before it; a FLAC
    at 48 kHz, tagged otherwise, a second longer, full band."""
    made = tmp_path_factory.mktemp("takes")
    music = (
        "sine=f=330:d=7,volume=0.3[a];anoisesrc=d=7:a=0.05:c=pink:seed=42[b];[a][b]amix"
    )
    human = _make(
        made / "human-take.mp3",
        "-f", "lavfi", "-i", music,
        "-af", "lowpass=f=8000,lowpass=f=8000,volume=-6dB,adelay=400:all=1",
        "-ac", "2", "-ar", "44100", "-t", "6",
        "-c:a", "libmp3lame", "-b:a", "128k",
        "-metadata", "title=Human take", "-metadata", "artist=Jory Lane",
    )  # fmt: skip
    machine = _make(
        made / "machine-take.flac",
        "-f", "lavfi", "-i", music,
        "-ac", "2", "-ar", "48000", "-t", "7",
        "-metadata", "title=Suno v5", "-metadata", "comment=generated",
    )  # fmt: skip
    return {"clips/human-take.mp3": human, "clips/machine-take.flac": machine}


@pytest.fixture(scope="module")
def built(tmp_path_factory, takes) -> Path:
    root = tmp_path_factory.mktemp("site")
    return build_site(root, {**takes, "takes.md": POST})


def _copies(output: Path) -> list[Path]:
    return sorted((output / "audiotable" / "blind").iterdir())


def _blind_table(page: Path) -> str:
    [table] = re.findall(r"<table[^>]*audiotable-blind.*?</table>", page.read_text())
    return str(table)


def _learnt(path: Path) -> ClipMetadata:
    analysis = decode_clip(path, 60)
    assert isinstance(analysis, ClipAnalysis)
    return read_clip(path).at(str(path), analysis)


def test_the_takes_differ_in_every_cue(takes) -> None:
    """The fixture's premise: untouched, the leak audit finds everything."""
    originals = [MadeCopy(p.name, _learnt(p)) for p in takes.values()]
    found = " ".join(trial_leaks(originals))
    for cue in (
        "sizes",
        "lengths",
        "formats",
        "sample rates",
        "tags",
        "lead-ins",
        "bandwidths",
        "loudness",
    ):
        assert cue in found


def test_copies_compared_byte_for_byte_and_by_every_cue(built, takes) -> None:
    first, second = _copies(built)
    one, two = first.read_bytes(), second.read_bytes()
    assert len(one) == len(two)  # one length at a constant bitrate: one size
    assert one[:4] == two[:4]  # the same MPEG frame header
    for data in (one, two):
        assert data[:3] != b"ID3" and b"TAG" not in data[-128:-125]
        for mark in (*ENCODER_MARKS, b"Xing", b"Info", b"moov", b"MD5"):
            assert mark not in data
    # Named by their own bytes: nothing of the originals' names or digests.
    for copy in (first, second):
        assert re.fullmatch(r"[0-9a-f]{24}\.mp3", copy.name)
        assert not any(copy.stem in p.name for p in takes.values())
    learnt = [_learnt(first), _learnt(second)]
    assert (
        trial_leaks(
            [MadeCopy(p.name, m) for p, m in zip((first, second), learnt, strict=True)]
        )
        == []
    )
    a, b = learnt
    assert (a.format, a.bitrate, a.bitrate_mode, a.sample_rate, a.channels) == (
        b.format, b.bitrate, b.bitrate_mode, b.sample_rate, b.channels,
    )  # fmt: skip
    # Both takes are dual-mono (one channel twice): their copies are mono.
    assert (a.bitrate, a.sample_rate, a.channels) == (192_000, 44_100, 1)
    assert a.title is a.artist is a.comment is None and not a.has_cover
    assert abs((a.duration or 0) - (b.duration or 0)) < 0.05
    assert a.duration == pytest.approx(5.6, abs=0.1)  # the shorter take, from its sound
    assert a.analysis and b.analysis
    assert abs(a.analysis.leading_silence - b.analysis.leading_silence) < 0.05
    assert abs((a.analysis.loudness or 0) - (b.analysis.loudness or 0)) < 1.0
    # Both band-limited to where the narrower take's content stops.
    narrowest = _learnt(takes["clips/human-take.mp3"]).analysis
    assert narrowest and narrowest.bandwidth and narrowest.bandwidth < 15_000
    for analysis in (a.analysis, b.analysis):
        assert analysis.bandwidth
        assert narrowest.bandwidth - 1000 <= analysis.bandwidth <= narrowest.bandwidth


def test_the_page_ties_no_copy_to_a_take(built, takes) -> None:
    page = (built / "takes.html").read_text()
    assert "human-take" not in page and "machine-take" not in page
    for original in takes.values():  # no original's size, anywhere
        assert str(original.stat().st_size) not in page
    sizes = {str(p.stat().st_size) for p in _copies(built)}
    assert len(sizes) == 1


def test_a_rebuild_makes_no_copy_again_and_writes_the_same_page(
    tmp_path: Path, takes
) -> None:
    from pelican_audiotable.plugin import signals

    first = build_site(tmp_path, {**takes, "takes.md": POST})
    copies = _copies(first)
    # The page again, from its source (not the page store): the copies are kept.
    (tmp_path / "content" / "takes.md").write_text(POST + "\nAgain.\n")
    again = build_site(tmp_path, {})
    assert signals.last_build().pages_served == 0
    assert _copies(again) == copies
    assert _blind_table(again / "takes.html") == _blind_table(first / "takes.html")


def test_untagged_copies_leak_and_the_author_hears_which_cues(
    tmp_path: Path, takes, warnings
) -> None:
    build_site(
        tmp_path, {**takes, "takes.md": POST}, AUDIOTABLE_BLIND_COPIES="untagged"
    )
    [leak] = [w for w in warnings() if "told apart" in w]
    assert leak.startswith(
        "audiotable: takes.md: blind table 1: its copies can be told apart without "
        "listening, by their sizes ("
    )
    for cue in ("lengths (6.00 s to 7.00 s)", "formats (FLAC, MP3)",
                "sample rates (44100, 48000)", "encoder strings (LAME, Lavc)",
                "lead-ins (0.00 s to 0.40 s)", "bandwidths (", "loudness ("):  # fmt: skip
        assert cue in leak


def test_check_quotes_the_leak_audit(tmp_path: Path, built, takes) -> None:
    content = built.parent / "content"
    settings = tmp_path / "pelicanconf.py"
    settings.write_text(
        f"PATH = {str(content)!r}\nSTATIC_PATHS = ['clips']\nTIMEZONE = 'UTC'\n"
        "DEFAULT_DATE = (2025, 1, 1)\n"
    )
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pelican_audiotable.cli.commands",
            "check",
            "-s",
            str(settings),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "    leak audit, trial 1: no leaks" in run.stdout, run.stderr
    assert run.returncode == 0


def test_a_trial_too_short_or_not_decoded_has_no_recipe() -> None:
    def clip(decoded: float | None, silence: float = 0.0) -> ClipMetadata:
        analysis = ClipAnalysis(-20, -3, -3, silence, decoded=decoded, onset=silence)
        return ClipMetadata("MP3", "MP3", 1, None, None, None, None, None, 1,
                            path="x", analysis=analysis)  # fmt: skip

    assert "not all decoded" in str(trial_recipes([clip(5), clip(None)]))
    assert "0.04 s of sound" in str(trial_recipes([clip(5), clip(1.0, 0.96)]))
    [one, two] = trial_recipes([clip(5, 0.5), clip(6, 0.1)])  # type: ignore[misc]
    assert one == CopyRecipe(0.5, 4.5, -20, None, 1)
    assert two == CopyRecipe(0.1, 4.5, -20, None, 1)
    assert one.key("a") != one.key("b") != two.key("a")


def test_a_damaged_or_silent_take_never_breaks_the_build(
    tmp_path: Path, takes, warnings
) -> None:
    """A truncated take is copied from what decodes; a silent one cannot be
    matched (it holds no sound to cut), and its trial falls back to untagged
    copies, which the leak audit then reports: one warning, a build that ends."""
    human = takes["clips/human-take.mp3"].read_bytes()
    silent = _make(
        tmp_path / "silent.mp3",
        "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "3",
        "-c:a", "libmp3lame", "-b:a", "128k",
    )  # fmt: skip
    post = POST.replace("machine-take.flac", "silent.mp3")
    output = build_site(
        tmp_path,
        {
            "clips/human-take.mp3": human[: len(human) // 2],
            "clips/silent.mp3": silent,
            "takes.md": post,
            "cut.md": POST.replace("Slug: takes", "Slug: cut"),
            "clips/machine-take.flac": takes["clips/machine-take.flac"],
        },
    )
    cut = _blind_table(output / "cut.html")  # the truncated take: matched
    assert cut.count("audiotable/blind/") == 4  # two players, a source and a link each
    assert not [w for w in warnings() if "cut.md" in w and "told apart" in w]
    silent_table = _blind_table(output / "takes.html")
    assert silent_table
    [leak] = [w for w in warnings() if "takes.md" in w and "told apart" in w]
    assert "encoder strings (LAME, Lavc)" in leak and "lead-ins" in leak
