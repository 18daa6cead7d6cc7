"""Reading a clip: exact duration, stream details and tags, as one plain value.

mutagen does the container and tag work. What it cannot promise is done here: an
exact length for MP3s whose header is missing or lies (:mod:`.mpeg` counts the
frames), the length that will really play when a file is shorter than its header
says (truncated uploads), and reading every byte as untrusted: whatever a file
holds, only a :class:`ClipError` comes out.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..errors import (
    ClipError,
    CorruptClip,
    EmptyClip,
    NotAudio,
    UnsupportedCodec,
    short_reason,
)
from ..files import open_regular
from ..formats import AUDIO_EXTENSIONS, FORMAT_OF_KIND
from ..model import ClipContent, ClipMetadata
from .containers import read_wav, read_with_mutagen
from .mp3 import mp3_view, read_mp3
from .parsers import mpeg, ogg

__all__ = [
    "ClipError",
    "ClipMetadata",
    "CorruptClip",
    "EmptyClip",
    "NotAudio",
    "UnsupportedCodec",
    "read_metadata",
]


def read_metadata(path: str | os.PathLike[str]) -> ClipMetadata:
    """Read one clip, as a page would show it at ``path``. Raises
    :class:`ClipError` when nothing playable is there."""
    return read_content(path).at(str(path))


def read_content(path: str | os.PathLike[str]) -> ClipContent:
    """What one clip's bytes say. Raises :class:`ClipError` when nothing playable
    is there.

    Every byte of a clip is untrusted, so nothing else ever escapes: a bug in a
    format parser makes the clip unreadable (with a warning), never the build fail.
    """
    path = Path(path)
    try:
        metadata = _read(path)
    except ClipError:
        raise
    except Exception as error:  # a reader's bug, met on a file it did not expect
        raise ClipError(
            f"the reader failed on this file ({type(error).__name__}: "
            f"{short_reason(error)}); please report it"
        ) from error
    rate = metadata.sample_rate
    if rate is not None and not PLAYABLE_RATES[0] <= rate <= PLAYABLE_RATES[1]:
        raise UnsupportedCodec(f"{rate} Hz: no browser plays audio at that rate")
    return metadata


#: Sample rates browsers play (Web Audio's range: 3 kHz to 768 kHz).
PLAYABLE_RATES = (3000, 768_000)

#: Bytes read first: enough for every format's headers (and every Ogg stream's
#: first page), and for finding MPEG audio behind junk.
_HEAD = 16 * 1024


def _read(path: Path) -> ClipContent:
    try:
        with open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise EmptyClip("the file is empty")
            head = handle.read(_HEAD)
            kind = sniff(head)
            offset = 0
            if kind == "mp3" and head[:3] == b"ID3":
                offset = mpeg.skip_id3v2(head)
                handle.seek(offset)
                if handle.read(4) == b"fLaC":
                    kind = "flac"  # a FLAC file with an ID3 tag in front
                else:
                    offset = 0
            if kind is None:
                raise NotAudio(f"not an audio file ({_what_it_seems(head)})")
            if kind == "speex":
                raise UnsupportedCodec(
                    "Speex in Ogg: browsers cannot play it; convert it to Opus"
                )
            if kind == "mp3":
                metadata = read_mp3(mp3_view(path, handle, head, size))
            elif kind == "wav":
                metadata = read_wav(path, handle, size)
            else:
                metadata = read_with_mutagen(path, handle, head, kind, size, offset)
            claimed = AUDIO_EXTENSIONS.get(path.suffix.lower())
            actual = FORMAT_OF_KIND[kind]
            if claimed is None or claimed == actual:
                return metadata
            misnamed = (
                f"the file is {actual} although its name ends in {path.suffix}; "
                "read by its content (some browsers will refuse it)"
            )
            return replace(metadata, notes=(misnamed, *metadata.notes))
    except OSError as error:
        raise ClipError(f"cannot read the file: {error.strerror or error}") from error


def sniff(head: bytes) -> str | None:
    """The kind of audio a file holds, from its first bytes."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        stream = ogg.audio_stream(head)
        return stream.kind if stream else None
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:3] == b"ID3":
        return "mp3"  # ID3v2 is found in front of MPEG audio (FLAC is checked after)
    if len(head) >= 4 and mpeg.parse_header(head, 0) is not None:
        return "mp3"
    if mpeg.find_stream(head, 0, len(head)) is not None:
        return "mp3"  # MPEG audio after junk (padding, garbage), as decoders find it
    return None


def _what_it_seems(head: bytes) -> str:
    """What a file that is not audio seems to be, for the warning."""
    for magic, what in _NOT_AUDIO:
        if head.startswith(magic):
            return f"it looks like {what}"
    if head[:4] == b"OggS":
        return "an Ogg file without an audio stream"
    if head[:2] in (b"\xff\xf8", b"\xff\xf9"):  # no MPEG frame starts so
        return (
            "FLAC frames without the fLaC marker and STREAMINFO that players "
            "need: export it again as a whole FLAC file"
        )
    sample = head[:512]
    if sample and all(32 <= b < 127 or b in b"\t\r\n" for b in sample):
        return "it looks like text"
    if not head.strip(b"\x00"):
        return "it is all zero bytes, as a download that never finished is"
    if len(head) >= 1024 and _bits_per_byte(head) > 7.5:
        return "it looks like random or encrypted bytes: a damaged or partial upload?"
    return "unknown content"


def _bits_per_byte(data: bytes) -> float:
    """Shannon entropy: near 8 for random or encrypted bytes, lower for any format."""
    counts = Counter(data)
    return -sum(n / len(data) * math.log2(n / len(data)) for n in counts.values())


_NOT_AUDIO = (
    (b"<!DOCTYPE html", "an HTML page"),
    (b"<!doctype html", "an HTML page"),
    (b"<html", "an HTML page"),
    (b"<?xml", "an XML file"),
    (b"{", "JSON"),
    (b"%PDF", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"RIFF", "a RIFF file that is not WAVE"),
)
