"""Clips made by real encoders (Debian's ffmpeg with LAME, Vorbis, Opus, FLAC, AAC;
PyPI's lameenc), the variants authors upload, with what a reader must find in each."""

from __future__ import annotations

import subprocess
from pathlib import Path

import lameenc

# Pink noise switched between quiet and loud every second: a VBR encoder's bitrate
# swings with it, which is what makes header-less VBR lengths go wrong.
_SWINGING = "volume='0.03+0.97*gt(sin(2*PI*t/2),0)':eval=frame"

TAGS_V24 = {"title": "Verse (take 2)", "artist": "Stand-in", "album": "Tests"}
HOSTILE_TITLE = '<script>alert("x")</script> & <b>bold</b>'
#: How the reader gives it: markup characters as look-alikes, so no theme filter
#: can turn it back into markup.
HOSTILE_TITLE_SHOWN = "‹script›alert(”x”)‹/script› & ‹b›bold‹/b›"

#: name -> how it is made, and what reading it must give
CLIPS: dict[str, dict] = {
    "cbr-128-stereo-44k.mp3": {
        "seconds": 7.3,
        "rate": 44100,
        "channels": 2,
        "ffmpeg": ["-c:a", "libmp3lame", "-b:a", "128k", "-id3v2_version", "4"],
        "tags": TAGS_V24,
        "expect": {
            "codec": "MP3",
            "bitrate_mode": "CBR",
            "duration_source": "header",
            "title": "Verse (take 2)",
            "artist": "Stand-in",
            "album": "Tests",
        },
    },
    "vbr-xing-48k.mp3": {
        "seconds": 9.7,
        "rate": 48000,
        "channels": 2,
        "ffmpeg": ["-c:a", "libmp3lame", "-q:a", "2", "-id3v2_version", "3"],
        "tags": {"title": "Chorus", "artist": "Stand-in", "date": "2025", "track": "3"},
        "expect": {
            "codec": "MP3",
            "bitrate_mode": "VBR",
            "duration_source": "header",
            "title": "Chorus",
            "year": "2025",
            "track": "3",
        },
    },
    "vbr-noheader-44k.mp3": {
        "seconds": 11.2,
        "rate": 44100,
        "channels": 2,
        "ffmpeg": ["-c:a", "libmp3lame", "-q:a", "4", "-write_xing", "0"],
        "expect": {
            "codec": "MP3",
            "bitrate_mode": "VBR",
            "duration_source": "frame-count",
        },
    },
    "vbr-noheader-mono-48k.mp3": {
        "seconds": 6.4,
        "rate": 48000,
        "channels": 1,
        "ffmpeg": ["-c:a", "libmp3lame", "-q:a", "0", "-write_xing", "0"],
        "expect": {
            "codec": "MP3",
            "bitrate_mode": "VBR",
            "duration_source": "frame-count",
        },
    },
    "lameenc-mono-22k.mp3": {
        "seconds": 5.1,
        "rate": 22050,
        "channels": 1,
        "lameenc": 48,
        "expect": {
            "codec": "MP3",
            "bitrate_mode": "CBR",
            "duration_source": "frame-count",
        },
    },
    "cover-art.mp3": {
        "seconds": 4.2,
        "rate": 44100,
        "channels": 2,
        "cover": True,
        "ffmpeg": ["-c:a", "libmp3lame", "-b:a", "96k", "-id3v2_version", "3"],
        "tags": {"title": "With cover"},
        "expect": {"has_cover": True, "title": "With cover"},
    },
    "hostile-tags.mp3": {
        "seconds": 3.3,
        "rate": 44100,
        "channels": 1,
        "ffmpeg": ["-c:a", "libmp3lame", "-b:a", "64k"],
        "tags": {"title": HOSTILE_TITLE, "artist": '"quoted" <i>artist</i>'},
        "expect": {"title": HOSTILE_TITLE_SHOWN},
    },
    "vorbis-48k.ogg": {
        "seconds": 8.8,
        "rate": 48000,
        "channels": 2,
        "ffmpeg": ["-c:a", "libvorbis", "-q:a", "4"],
        "tags": {"title": "Fiddle", "artist": "Stand-in"},
        "expect": {"format": "Ogg", "codec": "Vorbis", "title": "Fiddle"},
    },
    "opus-stereo.opus": {
        "seconds": 6.6,
        "rate": 48000,
        "channels": 2,
        "ffmpeg": ["-c:a", "libopus", "-b:a", "96k"],
        "expect": {"format": "Ogg", "codec": "Opus"},
    },
    "flac-44k.flac": {
        "seconds": 5.5,
        "rate": 44100,
        "channels": 2,
        "ffmpeg": ["-c:a", "flac"],
        "tags": {"title": "Lossless", "album": "Tests"},
        "expect": {"format": "FLAC", "codec": "FLAC", "title": "Lossless"},
    },
    "aac-44k.m4a": {
        "seconds": 7.7,
        "rate": 44100,
        "channels": 2,
        "ffmpeg": ["-c:a", "aac", "-b:a", "128k"],
        "tags": {"title": "Bridge", "artist": "Stand-in"},
        "expect": {"format": "MP4", "codec": "AAC", "title": "Bridge"},
    },
    "aac-faststart-48k.m4a": {  # the index first, as streaming sites want
        "seconds": 9.4,
        "rate": 48000,
        "channels": 2,
        "ffmpeg": ["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart"],
        "expect": {"format": "MP4", "codec": "AAC"},
    },
    "pcm-mono-22k.wav": {
        "seconds": 2.5,
        "rate": 22050,
        "channels": 1,
        "ffmpeg": ["-c:a", "pcm_s16le"],
        "expect": {
            "format": "WAV",
            "codec": "PCM",
            "bitrate": 352800,
            "duration_source": "data-size",
        },
    },
}


def make_clip(name: str, folder: Path) -> Path:
    """Encode one clip into ``folder`` (once: an existing file is kept)."""
    target = folder / name
    if target.exists() and target.stat().st_size:
        return target
    recipe = CLIPS[name]
    source = [
        "-f",
        "lavfi",
        "-i",
        f"anoisesrc=d={recipe['seconds']}:c=pink:a=0.4:r={recipe['rate']}:seed=7",
    ]
    if "lameenc" in recipe:
        pcm = _ffmpeg_out([*source, "-af", _SWINGING, "-ac", "1", "-f", "s16le", "-"])
        encoder = lameenc.Encoder()
        encoder.set_bit_rate(recipe["lameenc"])
        encoder.set_in_sample_rate(recipe["rate"])
        encoder.set_channels(1)
        encoder.set_quality(2)
        target.write_bytes(encoder.encode(pcm) + encoder.flush())
        return target
    args = [*source]
    maps: list[str] = []
    if recipe.get("cover"):
        args += ["-f", "lavfi", "-i", "color=c=orange:s=64x64:d=1"]
        maps = [
            "-map",
            "0:a",
            "-map",
            "1:v",
            "-c:v",
            "png",
            "-frames:v",
            "1",
            "-disposition:v",
            "attached_pic",
        ]
    args += [*maps, "-af", _SWINGING, "-ac", str(recipe["channels"])]
    for key, value in recipe.get("tags", {}).items():
        args += ["-metadata", f"{key}={value}"]
    args += recipe["ffmpeg"]
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(target)], check=True)
    return target


def _ffmpeg_out(args: list[str]) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-v", "error", *args], capture_output=True, check=True
    ).stdout
