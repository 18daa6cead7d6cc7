"""Files that crashed, hung or fooled the reader, and files it refused or mismeasured:
each is read, as what will really play, or refused with a clear reason."""

from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import mutagen
import pytest

from pelican_audiotable.learn.metadata import (
    ClipError,
    CorruptClip,
    UnsupportedCodec,
    read_metadata,
)
from tests import hostile
from tests.conftest import CACHE, decoded_seconds

ODD = CACHE / "odd"


def encode(name: str, *args: str, seconds: float = 3.0, rate: int = 44100) -> Path:
    """A clip made by Debian's ffmpeg (once per machine)."""
    target = ODD / name
    if not target.exists() or not target.stat().st_size:
        ODD.mkdir(parents=True, exist_ok=True)
        source = f"anoisesrc=d={seconds}:c=pink:a=0.3:r={rate}:seed=3"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                source,
                *args,
                str(target),
            ],
            check=True,
        )
    return target


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- Crashes and slow paths, from the bytes that caused them -------------------------

CRASHES = {
    "wav-rate-0.wav": hostile.wav(rate=0),
    "wav-block-align-0.wav": hostile.wav(block_align=0, bits=0),
    "wav-rate-0-cut.wav": hostile.wav(rate=0)[:-4000],
    "xing-without-count.mp3": hostile.xing_without_frame_count(),
    "id3-tsse-partial-frame.mp3": hostile.id3_then_partial_frame(),
    "edts-3000-deep.m4a": hostile.mp4(nested_edts=3000, mdat=b"\x00" * 4000),
    "id3-then-1mib-ff.mp3": hostile.id3_then_ff(1 << 20),
    "flac-huge-frames-then-ff.flac": hostile.flac_huge_frames_then_ff(32 << 20),
}


@pytest.mark.parametrize("name", sorted(CRASHES))
def test_hostile_bytes_give_a_clip_error_never_a_crash(tmp_path: Path, name: str):
    with pytest.raises(ClipError) as refused:
        read_metadata(written(tmp_path, name, CRASHES[name]))
    assert type(refused.value) is not ClipError or "reader failed" not in str(
        refused.value
    ), "a parser bug, caught only by the last guard"


def test_quadratic_mp4_sample_tables_read_in_one_pass(tmp_path: Path) -> None:
    """20,000 chunk runs by 20,000 chunks: one walk over both tables."""
    chunks = 20_000
    data = hostile.mp4(
        seconds=chunks * 1024 / 44100,
        chunk_offsets=[10_000_000 + 10 * n for n in range(chunks)],
        stsc=[(n + 1, 1) for n in range(chunks)],
        mdat=b"\x00" * 100,
    )
    with pytest.raises(CorruptClip, match="media data holds none"):
        read_metadata(written(tmp_path, "tables.m4a", data))


def test_a_parser_bug_becomes_an_unreadable_clip(tmp_path: Path, monkeypatch):
    from pelican_audiotable.learn.parsers import mpeg

    def broken(*args: object) -> None:
        raise IndexError("index out of range")

    monkeypatch.setattr(mpeg, "read_vbr_header", broken)
    clip = encode("cbr.mp3", "-c:a", "libmp3lame", "-b:a", "128k")
    with pytest.raises(ClipError, match=r"reader failed .*IndexError") as refused:
        read_metadata(clip)
    assert refused.value.kind == "unreadable"


# --- Promises the bytes do not bear out -------------------------------------------------


def test_info_header_claiming_two_billion_frames_shows_what_plays(tmp_path: Path):
    meta = read_metadata(
        written(tmp_path, "liar.mp3", hostile.info_claiming_frames(0x7FFFFFFF))
    )
    assert meta.duration == pytest.approx(45 * 1152 / 44100, abs=0.03)
    assert meta.duration_source == "frame-count" and meta.truncated
    assert "header promises" in meta.notes[0]


def test_mp4_whose_index_points_past_the_end_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorruptClip, match=r"620\.0 s .*media data holds none"):
        read_metadata(written(tmp_path, "empty-mdat.m4a", hostile.mp4(seconds=620)))


def test_flac_with_metadata_and_no_frames_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorruptClip, match="no audio frames"):
        read_metadata(written(tmp_path, "meta-only.flac", hostile.flac_metadata_only()))


def test_ogg_last_page_with_a_bad_checksum_is_not_trusted(tmp_path: Path) -> None:
    clip = encode("vorbis.ogg", "-c:a", "libvorbis", "-q:a", "3")
    data = bytearray(clip.read_bytes())
    last = data.rfind(b"OggS")
    data[last + 6 : last + 14] = struct.pack("<q", 48000 * 3600)  # an hour, unsigned
    damaged = written(tmp_path, "forged.ogg", bytes(data))
    meta = read_metadata(damaged)
    assert meta.duration < 3.0
    assert meta.duration == pytest.approx(decoded_seconds(damaged), abs=0.25)


def test_tags_of_a_file_without_audio_are_reported_beside_the_error(tmp_path: Path):
    tag = hostile.id3v2(hostile.id3_text_frame(b"TIT2", "Only a tag"))
    with pytest.raises(CorruptClip) as refused:
        read_metadata(written(tmp_path, "tag-only.mp3", tag + b"\x00" * 64))
    assert refused.value.tags["title"] == "Only a tag"


# --- Files refused or mismeasured before, checked against ffmpeg's decode ---------------


def junk_then(clip: Path, junk: bytes, tmp_path: Path) -> Path:
    return written(tmp_path, "junk-" + clip.name, junk + clip.read_bytes())


@pytest.mark.parametrize(
    "junk",
    [b"\x00" * 3000, bytes(range(256)) * 20, b"\xff\xfb\x90\x00" + b"\x11" * 300],
    ids=["zero-padding", "garbage", "an-invalid-frame"],
)
def test_junk_before_the_first_mpeg_frame_is_skipped(tmp_path: Path, junk: bytes):
    clip = encode(
        "cbr-no-id3.mp3", "-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "0"
    )
    meta = read_metadata(junk_then(clip, junk, tmp_path))
    assert meta.duration == pytest.approx(decoded_seconds(clip), abs=0.03)


def test_flac_behind_an_id3_tag_is_read_as_flac(tmp_path: Path) -> None:
    clip = encode("plain.flac", "-c:a", "flac")
    tag = hostile.id3v2(hostile.id3_text_frame(b"TIT2", "Tagged"))
    meta = read_metadata(written(tmp_path, "tagged.flac", tag + clip.read_bytes()))
    assert meta.format == "FLAC" and meta.notes == ()
    assert meta.duration == pytest.approx(3.0, abs=0.001)


def test_flac_of_unknown_length_is_measured_by_its_last_frame(tmp_path: Path) -> None:
    data = bytearray(encode("plain.flac", "-c:a", "flac").read_bytes())
    data[8 + 13] &= 0xF0  # the 36-bit total in STREAMINFO: zero, "unknown"
    data[8 + 14 : 8 + 18] = b"\x00\x00\x00\x00"
    meta = read_metadata(written(tmp_path, "unknown.flac", bytes(data)))
    assert meta.duration == pytest.approx(3.0, abs=0.001)
    assert meta.duration_source == "frame-count" and not meta.truncated


def test_ogg_whose_first_stream_is_video_is_read_by_its_audio() -> None:
    target = ODD / "theora-vorbis.ogg"
    if not target.exists():
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=d=2:s=64x48",
             "-f", "lavfi", "-i", "sine=d=2", "-map", "0:v", "-map", "1:a",
             "-c:v", "libtheora", "-c:a", "libvorbis", str(target)],
            check=True,
        )  # fmt: skip
    meta = read_metadata(target)
    assert meta.codec == "Vorbis"
    assert meta.duration == pytest.approx(decoded_seconds(target), abs=0.03)


def test_speex_in_ogg_is_an_unsupported_codec() -> None:
    clip = encode(
        "speech.spx", "-c:a", "libspeex", "-ar", "16000", "-f", "ogg", rate=16000
    )
    with pytest.raises(UnsupportedCodec, match="Speex"):
        read_metadata(clip)


WAV_CODECS = {
    "ms-adpcm.wav": ("-c:a", "adpcm_ms"),
    "ima-adpcm.wav": ("-c:a", "adpcm_ima_wav"),
    "gsm.wav": ("-c:a", "libgsm_ms", "-ar", "8000"),
    "mu-law.wav": ("-c:a", "pcm_mulaw"),
    "a-law.wav": ("-c:a", "pcm_alaw"),
    "mp3-in.wav": ("-c:a", "libmp3lame", "-b:a", "64k"),
    "rf64.wav": ("-c:a", "pcm_s16le", "-rf64", "always"),
    "float.wav": ("-c:a", "pcm_f32le"),
    "extensible-24bit.wav": ("-c:a", "pcm_s24le", "-ac", "3"),
}


@pytest.mark.parametrize("name", sorted(WAV_CODECS))
def test_wav_of_every_codec_is_measured_as_decoders_do(name: str) -> None:
    clip = encode(name, *WAV_CODECS[name], "-f", "wav")
    meta = read_metadata(clip)
    assert meta.format == "WAV"
    assert meta.duration == pytest.approx(decoded_seconds(clip), abs=0.05)


def test_channels_come_from_the_aac_config_not_the_sample_entry() -> None:
    """ffmpeg writes two channels into a mono AAC's sample entry; mutagen reports that."""
    clip = encode("mono.m4a", "-c:a", "aac", "-ac", "1")
    assert mutagen.File(clip).info.channels == 2
    assert read_metadata(clip).channels == 1


def test_a_96_khz_flac_in_mp4_reports_96_khz(tmp_path: Path) -> None:
    """A sample entry cannot hold 96000 Hz (mutagen says 0); the FLAC setup can."""
    clip = encode("hires.mp4", "-c:a", "flac", "-strict", "-2", rate=96000)
    meta = read_metadata(clip)
    assert (meta.sample_rate, meta.codec) == (96000, "FLAC")
    assert meta.duration == pytest.approx(3.0, abs=0.01)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            random.Random(1).randbytes(40_000),
            "random or encrypted",
        ),
        (bytes(40_000), "all zero bytes"),
    ],
    ids=["random", "zeros"],
)
def test_bytes_that_are_no_audio_say_what_they_seem(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "take.mp3"
    path.write_bytes(content)
    with pytest.raises(ClipError, match=said) as refused:
        read_metadata(path)
    assert refused.value.kind == "not-audio"
