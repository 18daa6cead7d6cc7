"""Reading clips: exact durations for every encoding authors upload, tags, bad files."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import mutagen
import pytest

from pelican_audiotable.learn.metadata import (
    ClipError,
    CorruptClip,
    EmptyClip,
    NotAudio,
    read_metadata,
)
from pelican_audiotable.learn.parsers import flac
from tests.clips import CLIPS
from tests.conftest import decoded_seconds


def cut_short(source: Path, folder: Path, keep: int) -> Path:
    """A copy of ``source`` in ``folder`` holding only its first ``keep`` bytes."""
    short = folder / source.name
    short.write_bytes(source.read_bytes()[:keep])
    return short


def one_frame(meta) -> float:
    """The length of one frame of the clip's codec: the precision promised."""
    samples = {"MP3": 1152 if meta.sample_rate >= 32000 else 576, "AAC": 1024}
    return samples.get(meta.codec, 1152) / meta.sample_rate + 1e-6


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_encoded_clip_reads_as_made(clips: dict[str, Path], name: str) -> None:
    recipe = CLIPS[name]
    meta = read_metadata(clips[name])
    assert meta.sample_rate == recipe["rate"]
    assert meta.channels == recipe["channels"]
    assert meta.size == clips[name].stat().st_size
    assert not meta.truncated and meta.notes == ()
    for key, value in recipe["expect"].items():
        assert getattr(meta, key) == value, key


@pytest.mark.parametrize("name", sorted(CLIPS))
def test_duration_matches_a_decoder_within_one_frame(
    clips: dict[str, Path], name: str
) -> None:
    meta = read_metadata(clips[name])
    assert meta.duration == pytest.approx(
        decoded_seconds(clips[name]), abs=one_frame(meta)
    )


@pytest.mark.parametrize("name", ["vbr-noheader-44k.mp3", "vbr-noheader-mono-48k.mp3"])
def test_headerless_vbr_is_exact_where_the_estimate_is_not(
    clips: dict[str, Path], name: str
) -> None:
    """The reason frames are counted: mutagen's estimate is far off for these files."""
    truth = decoded_seconds(clips[name])
    estimate = mutagen.File(clips[name]).info.length
    assert abs(estimate - truth) > 0.5  # the bug this package exists to fix
    assert read_metadata(clips[name]).duration == pytest.approx(truth, abs=0.03)


def test_bitrate_of_headerless_vbr_is_the_average(clips: dict[str, Path]) -> None:
    path = clips["vbr-noheader-44k.mp3"]
    meta = read_metadata(path)
    assert meta.bitrate == pytest.approx(
        path.stat().st_size * 8 / meta.duration, rel=0.02
    )


@pytest.mark.parametrize(
    ("name", "cut"), [("vbr-xing-48k.mp3", 0.4), ("vbr-noheader-44k.mp3", 0.5)]
)
def test_truncated_mp3_shows_what_will_play(
    clips: dict[str, Path], tmp_path: Path, name: str, cut: float
) -> None:
    short = cut_short(clips[name], tmp_path, int(clips[name].stat().st_size * cut))
    meta = read_metadata(short)
    assert meta.truncated
    assert meta.duration_source == "frame-count"
    assert meta.duration == pytest.approx(
        decoded_seconds(short), abs=2 * one_frame(meta)
    )
    assert any("truncated" in note for note in meta.notes)


#: Clips whose containers say how long they are: FLAC, Ogg and MP4.
CONTAINER_CLIPS = [
    "flac-44k.flac",
    "vorbis-48k.ogg",
    "opus-stereo.opus",
    "aac-faststart-48k.m4a",
]


@pytest.mark.parametrize("name", CONTAINER_CLIPS)
@pytest.mark.parametrize("cut", [0.3, 0.7, 0.97])
def test_truncated_flac_ogg_and_mp4_show_what_will_play(
    clips: dict[str, Path], tmp_path: Path, name: str, cut: float
) -> None:
    short = cut_short(clips[name], tmp_path, int(clips[name].stat().st_size * cut))
    meta = read_metadata(short)
    assert meta.truncated
    assert [note for note in meta.notes if note.startswith("truncated")]
    assert meta.duration < read_metadata(clips[name]).duration
    assert meta.duration == pytest.approx(decoded_seconds(short), abs=one_frame(meta))


def test_flac_cut_between_frames_keeps_the_last_whole_frame(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    """Cut right before a frame header: the frame before it is whole, and plays."""
    data = clips["flac-44k.flac"].read_bytes()
    info = flac.parse_streaminfo(data[8:42])
    frame = flac.last_frame(data[: len(data) // 2], info)
    assert frame is not None
    short = cut_short(clips["flac-44k.flac"], tmp_path, frame.offset)
    meta = read_metadata(short)
    assert meta.truncated and meta.duration_source == "frame-count"
    assert meta.duration == pytest.approx(frame.first_sample / info.sample_rate)
    assert meta.duration == pytest.approx(decoded_seconds(short), abs=0.001)


@pytest.mark.parametrize(
    "name", [*CONTAINER_CLIPS, "aac-44k.m4a", "vbr-noheader-44k.mp3"]
)
def test_damaged_files_give_a_clip_error_or_a_reading_never_a_crash(
    clips: dict[str, Path], tmp_path: Path, name: str
) -> None:
    """Cut and scribbled over at many places: each is read, or refused as a clip."""
    data = clips[name].read_bytes()
    chance = random.Random(name)
    damaged = tmp_path / name
    for _ in range(60):
        mangled = bytearray(data[: chance.randrange(1, len(data) + 1)])
        for _ in range(chance.randrange(0, 8)):
            at = chance.randrange(len(mangled))
            mangled[at : at + 4] = chance.randbytes(4)
        damaged.write_bytes(mangled)
        try:
            meta = read_metadata(damaged)
        except ClipError as error:  # refused as a clip, not a reader's own crash
            assert "please report it" not in str(error), error
            continue
        assert meta.duration is not None and meta.duration >= 0


def test_truncated_wav_shows_what_will_play(clips: dict[str, Path], tmp_path: Path):
    wav = clips["pcm-mono-22k.wav"]
    short = cut_short(wav, tmp_path, wav.stat().st_size // 2)
    meta = read_metadata(short)
    assert meta.truncated
    assert meta.duration == pytest.approx(decoded_seconds(short), abs=0.001)


def test_content_decides_the_format_not_the_name(
    clips: dict[str, Path], tmp_path: Path
):
    disguised = tmp_path / "really-a-wav.mp3"
    shutil.copyfile(clips["pcm-mono-22k.wav"], disguised)
    meta = read_metadata(disguised)
    assert (meta.format, meta.codec, meta.duration) == ("WAV", "PCM", 2.5)
    assert "WAV although its name ends in .mp3" in meta.notes[0]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", EmptyClip),
        (b"<html><body>404 Not Found</body></html>", NotAudio),
        (b"\x00" * 4096, NotAudio),
        (
            b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 16 + b"junk" * 100,
            CorruptClip,
        ),
        (b"OggS" + b"\x00" * 60 + b"\x01vorbis", NotAudio),
        (b"fLaC" + b"\x00" * 10, CorruptClip),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", CorruptClip),
    ],
    ids=[
        "empty",
        "html",
        "zeros",
        "id3-no-audio",
        "ogg-garbage",
        "flac-stub",
        "wav-stub",
    ],
)
def test_bad_files_raise_a_clip_error(tmp_path: Path, content: bytes, error) -> None:
    path = tmp_path / "clip.mp3"
    path.write_bytes(content)
    with pytest.raises(error):
        read_metadata(path)


def test_missing_file_is_a_clip_error(tmp_path: Path) -> None:
    with pytest.raises(ClipError):
        read_metadata(tmp_path / "nowhere.mp3")


def test_damaged_id3_tag_never_hides_the_duration(
    clips: dict[str, Path], tmp_path: Path
):
    data = bytearray(clips["vbr-xing-48k.mp3"].read_bytes())
    data[3] = 7  # an ID3v2.7 tag: no parser reads it, mutagen.File gives up
    broken = tmp_path / "broken-tag.mp3"
    broken.write_bytes(bytes(data))
    with pytest.raises(mutagen.MutagenError):
        mutagen.File(broken)
    meta = read_metadata(broken)
    assert meta.duration == pytest.approx(9.7, abs=0.03)
    assert meta.title is None
    assert any("damaged ID3 tag" in note for note in meta.notes)


def test_huge_tag_frame_is_read_and_bounded(clips: dict[str, Path], tmp_path: Path):
    from mutagen.id3 import COMM, ID3

    path = tmp_path / "huge.mp3"
    shutil.copyfile(clips["cbr-128-stereo-44k.mp3"], path)
    tags = ID3(path)
    tags.add(COMM(encoding=3, lang="eng", desc="", text="x" * 5_000_000))
    tags.save(path)
    meta = read_metadata(path)
    assert meta.duration == pytest.approx(7.3, abs=0.03)
    assert meta.comment is not None and len(meta.comment) <= 300


# --- Real-world files from outside the project (mutagen's test data) -----------------

REAL_WORLD = {
    # file: (codec, duration source or None, truncated)
    "silence-44-s.mp3": ("MP3", "frame-count", False),
    "silence-44-s-mpeg2.mp3": ("MP3", "header", False),
    "silence-44-s-mpeg25.mp3": ("MP3", "header", False),
    "audacious-trailing-id32-apev2.mp3": ("MP3", "header", False),
    "audacious-trailing-id32-id31.mp3": ("MP3", "frame-count", False),
    "bad-TYER-frame.mp3": ("MP3", "frame-count", False),
    "vbri.mp3": ("MP3", "frame-count", True),  # a 222 s file cut to its start
    "xing.mp3": ("MP3", "frame-count", True),
    "apev2-lyricsv2.mp3": ("MP3", "frame-count", True),
    "lame.mp3": ("MP3", "header", False),
    "no-tags.flac": ("FLAC", "header", False),
    "silence-44-s.flac": ("FLAC", "header", False),
    "alac.m4a": ("ALAC", "header", False),
    "has-tags.m4a": ("AAC", "header", False),
    "multipage-setup.ogg": ("Vorbis", "header", False),
    "example.opus": ("Opus", "header", False),
    "silence-2s-PCM-16000-08-ID3v23.wav": ("PCM", "data-size", False),
}


@pytest.mark.parametrize("name", sorted(REAL_WORLD))
def test_real_world_file(real_world: Path, name: str) -> None:
    codec, source, truncated = REAL_WORLD[name]
    path = real_world / name
    meta = read_metadata(path)
    assert (meta.codec, meta.duration_source, meta.truncated) == (
        codec,
        source,
        truncated,
    )
    truth = decoded_seconds(path)
    assert meta.duration == pytest.approx(truth, abs=one_frame(meta) + 0.001)


def test_real_world_tags(real_world: Path) -> None:
    assert read_metadata(real_world / "silence-44-s.mp3").title == "Silence"
    assert read_metadata(real_world / "multipage-setup.ogg").title == "Burst"
    assert read_metadata(real_world / "covr-with-name.m4a").has_cover


@pytest.mark.parametrize("name", ["emptyfile.mp3"])
def test_real_world_broken(real_world: Path, name: str) -> None:
    with pytest.raises(ClipError):
        read_metadata(real_world / name)


#: A file ffmpeg decodes nothing of whose two AAC frames the index places inside
#: it: the bytes are not audio, and only decoding would tell.
KNOWN_MISSES = {"truncated-64bit.mp4"}


def test_every_real_world_file_reads_as_a_decoder_plays_it(real_world: Path) -> None:
    """Two libraries' test media, many from bug reports: a file ffmpeg decodes
    reads within max(0.1 s, 1 %) of the decode, one it cannot is refused."""
    from pelican_audiotable.formats import AUDIO_EXTENSIONS
    from tests.conftest import MEDIAFILE_SDIST, sdist_test_files

    folders = [real_world, sdist_test_files(MEDIAFILE_SDIST, "/test/rsrc/")]
    files = [
        path
        for folder in folders
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in AUDIO_EXTENSIONS and path.name not in KNOWN_MISSES
    ]
    misses = []
    for path in files:
        truth = decoded_seconds(path)
        try:
            duration = read_metadata(path).duration
        except ClipError:
            duration = None
        if truth > 0 and (
            duration is None or abs(duration - truth) > max(0.1, truth / 100)
        ):
            misses.append(f"{path.name}: decoded {truth:.3f} s, read {duration}")
        elif truth == 0 and duration is not None:
            misses.append(f"{path.name}: ffmpeg decodes nothing, read {duration} s")
    assert len(files) > 80
    assert misses == []
