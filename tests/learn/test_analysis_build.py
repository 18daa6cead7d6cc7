"""Analysis in real Pelican builds: what a page gets, once per clip content, and
what turns it off."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pelican_audiotable.plugin import signals
from tests.conftest import build_site
from tests.plugin.test_build import page

GRID = (
    "Title: Takes\nSlug: takes\n\n| Section | Human | AI |\n|---|---|---|\n"
    "| verse | [human](/clips/human.mp3) | [ai](/clips/ai.mp3) |\n"
    "| chorus | [human](/clips/copy.mp3) | [ai](/clips/other.flac) |\n"
)


def grid_files(clips: dict[str, Path]) -> dict[str, str | bytes | Path]:
    return {
        "clips/human.mp3": clips["cbr-128-stereo-44k.mp3"],
        "clips/ai.mp3": clips["vbr-xing-48k.mp3"],  # 48 kHz beside 44.1: unfair
        "clips/copy.mp3": clips["cbr-128-stereo-44k.mp3"],  # the same content
        "clips/other.flac": clips["flac-44k.flac"],
        "takes.md": GRID,
    }


def test_each_clip_is_measured_once_by_content_and_shown(
    tmp_path: Path, clips, warnings
) -> None:
    output = build_site(tmp_path, grid_files(clips), AUDIOTABLE_FAIRNESS_NOTE=True)
    soup = page(output, "takes.html")
    players = soup.select("table.audiotable audio")
    assert len(players) == 4
    for player in players:
        assert float(player["data-loudness"]) < -10
        assert float(player["data-peak"]) < 0
        assert len([a for a in player.attrs if a.startswith("data-")]) <= 8
        waveform = player.find_next_sibling("svg", class_="audiotable-waveform")
        assert waveform is not None and len(str(waveform).encode()) <= 2048
    assert players[0]["data-loudness"] == players[2]["data-loudness"]
    store = json.loads((tmp_path / "cache/audiotable/clips.json").read_text())
    assert sum("analysis" in entry for entry in store["payload"].values()) == 3
    # The one unfair row: warned, and said under the table.
    unfair = (
        "verse: sample rates differ (44.1 kHz, 48 kHz); "
        "verse: lengths differ by more than 10 % (Human 7.3 s, AI 9.7 s)"
    )
    said = [w for w in warnings() if "verse:" in w]
    assert said == [f"audiotable: takes.md: table 1: {f}" for f in unfair.split("; ")]
    note = soup.select_one("table.audiotable tfoot.audiotable-fairness")
    assert note is not None
    chorus = (
        "chorus: lengths differ by more than 10 % (Human 7.3 s, AI 5.5 s); "
        # An MP3 beside a FLAC: the encoder's low-pass shows.
        "chorus: bandwidths differ by more than 2 kHz (Human 16.8 kHz, AI 22.0 kHz)"
    )
    assert note.get_text() == f"Not a fair comparison: {unfair}; {chorus}."


def test_a_warm_build_decodes_nothing_and_shows_the_same(tmp_path: Path, clips):
    cold = (build_site(tmp_path, grid_files(clips)) / "takes.html").read_text()
    warm = (build_site(tmp_path, {}) / "takes.html").read_text()
    assert signals.last_build().clips_read == 0
    assert warm == cold


def test_analysis_off_leaves_no_trace_and_on_again_comes_back(tmp_path: Path, clips):
    output = build_site(tmp_path, grid_files(clips), AUDIOTABLE_ANALYSIS=False)
    off = (output / "takes.html").read_text()
    assert "data-loudness" not in off and "audiotable-waveform" not in off
    on = (build_site(tmp_path, {}) / "takes.html").read_text()
    assert "data-loudness" in on and "audiotable-waveform" in on


def test_without_the_extra_one_warning_says_analysis_is_off(
    tmp_path: Path, clips, monkeypatch, caplog
) -> None:
    """Said at Pelican's default verbosity (a warning), once, with an install line
    that works while the package is not on PyPI."""
    from pelican_audiotable import extras

    monkeypatch.setattr(extras, "analysis_installed", lambda: False)
    caplog.set_level(logging.WARNING)
    output = build_site(tmp_path, grid_files(clips))
    assert "data-loudness" not in (output / "takes.html").read_text()
    said = [r.getMessage() for r in caplog.records if "are off" in r.getMessage()]
    assert said == [
        "audiotable: loudness matching and waveforms are off: their libraries are "
        "not installed (pip install av numpy scipy turns them on; "
        "AUDIOTABLE_ANALYSIS = False says no to them)"
    ]
    caplog.clear()
    build_site(tmp_path, {}, AUDIOTABLE_ANALYSIS=False)
    assert not [r for r in caplog.records if "are off" in r.getMessage()]


def encoded(target: Path, source: str, seconds: float) -> Path:
    """A clip made by ffmpeg's LAME from one of its own sources."""
    import subprocess

    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t", str(seconds),
         "-c:a", "libmp3lame", "-b:a", "128k", str(target)],
        check=True,
    )  # fmt: skip
    return target


def test_silent_and_sub_second_clips(tmp_path: Path, warnings) -> None:
    """A silent export is warned about; a 0.5 s clip says 0:00.5, not 0:00."""
    made = tmp_path / "made"
    made.mkdir()
    files = {
        "clips/silent.mp3": encoded(made / "s.mp3", "anullsrc=r=44100:cl=stereo", 3),
        "clips/hiss.mp3": encoded(made / "h.mp3", "anoisesrc=a=0.0005:r=44100", 3),
        "clips/blip.mp3": encoded(made / "b.mp3", "sine=f=880:r=44100", 0.5),
        "post.md": "Title: Short\nSlug: short\n\n| Take | |\n|--|--|\n"
        "| Silent | [s](/clips/silent.mp3) |\n| Hiss | [h](/clips/hiss.mp3) |\n"
        "| Blip | [b](/clips/blip.mp3) |\n",
    }
    output = build_site(tmp_path / "site", files)
    said = [w for w in warnings() if "silent:" in w]
    assert len(said) == 2, said
    assert any("silent.mp3" in w and "every sample is zero" in w for w in said)
    assert any("hiss.mp3" in w and "dBFS" in w for w in said)
    soup = page(output, "short.html")
    times = [t.get_text() for t in soup.select("time.audiotable-duration")]
    assert times[2].startswith("0:00.") and times[2] != "0:00.0"
