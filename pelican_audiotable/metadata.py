"""Reading a clip: exact duration, stream details and tags, as one plain value.

mutagen does the container and tag work. Two things it cannot promise are done here:
an exact length for MP3s whose header is missing or lies (:mod:`.mpeg` counts the
frames), and the length that will really play when a file is shorter than its header
says (truncated uploads).
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from . import flac, mp4, mpeg, ogg, wav
from .errors import ClipError, CorruptClip, EmptyClip, NotAudio, UnsupportedCodec
from .formats import AUDIO_EXTENSIONS
from .model import ClipMetadata

__all__ = [
    "ClipError",
    "ClipMetadata",
    "CorruptClip",
    "EmptyClip",
    "NotAudio",
    "UnsupportedCodec",
    "read_metadata",
]

#: How far into a tag value we read: a huge frame must not flood the page.
MAX_TAG_CHARS = 300


@dataclass
class _Tags:
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: str | None = None
    track: str | None = None
    comment: str | None = None
    has_cover: bool = False


def read_metadata(path: str | os.PathLike[str]) -> ClipMetadata:
    """Read one clip. Raises :class:`ClipError` when nothing playable is there.

    Every byte of a clip is untrusted, so nothing else ever escapes: a bug in a
    format parser makes the clip unreadable (with a warning), never the build fail.
    """
    path = Path(path)
    try:
        return _read(path)
    except ClipError:
        raise
    except Exception as error:  # a reader's bug, met on a file it did not expect
        raise ClipError(
            f"the reader failed on this file ({type(error).__name__}: "
            f"{_short(error)}); please report it"
        ) from error


#: Bytes read first: enough for every format's headers (and every Ogg stream's
#: first page), and for finding MPEG audio behind junk.
_HEAD = 16 * 1024


def _read(path: Path) -> ClipMetadata:
    try:
        size = path.stat().st_size
        if size == 0:
            raise EmptyClip("the file is empty")
        with path.open("rb") as handle:
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
            notes: list[str] = []
            claimed = AUDIO_EXTENSIONS.get(path.suffix.lower())
            actual = _FORMAT_OF_KIND[kind]
            if claimed is not None and claimed != actual:
                notes.append(
                    f"the file is {actual} although its name ends in {path.suffix}; "
                    "read by its content (some browsers will refuse it)"
                )
            if kind == "mp3":
                return _read_mp3(path, size, _mp3_view(handle, head, size), notes)
            if kind == "wav":
                return _read_wav(path, handle, size, notes)
            return _read_with_mutagen(path, handle, kind, size, offset, notes)
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
    if head[4:8] == b"ftyp":
        return "an MP4 file"
    sample = head[:512]
    if sample and all(32 <= b < 127 or b in b"\t\r\n" for b in sample):
        return "it looks like text"
    return "unknown content"


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

_FORMAT_OF_KIND = {
    "mp3": "MP3",
    "wav": "WAV",
    "flac": "FLAC",
    "opus": "Ogg",
    "vorbis": "Ogg",
    "ogg-flac": "Ogg",
    "speex": "Ogg",
    "mp4": "MP4",
}


# --- MP3 -------------------------------------------------------------------------

#: Bytes read past the ID3v2 tag to find the first frames and their VBR header.
_LOOKAHEAD = 16 * 1024
#: Bytes read from the end for ID3v1, APEv2 and Lyrics3 tags.
_TAIL = 4 * 1024


@dataclass
class _Mp3View:
    """An MP3's start and end, and the whole file only once a frame walk needs it."""

    path: Path
    size: int
    prefix: bytes
    tail: bytes
    whole: bytes | None = None

    @property
    def stream_end(self) -> int:
        """Where the audio ends: before the trailing tags."""
        if self.whole is not None:
            return mpeg.trailing_tags_start(self.whole)
        return self.size - len(self.tail) + mpeg.trailing_tags_start(self.tail)

    def everything(self) -> bytes:
        if self.whole is None:
            self.whole = self.path.read_bytes()
        return self.whole


def _mp3_view(handle: Any, head: bytes, size: int) -> _Mp3View:
    tag = mpeg.skip_id3v2(head) if head[:3] == b"ID3" else 0
    handle.seek(len(head))
    prefix = head + handle.read(max(0, tag + _LOOKAHEAD - len(head)))
    if len(prefix) >= size:
        return _Mp3View(Path(handle.name), size, prefix, prefix, whole=prefix)
    handle.seek(max(len(prefix), size - _TAIL))
    return _Mp3View(Path(handle.name), size, prefix, handle.read())


def _read_mp3(path: Path, size: int, view: _Mp3View, notes: list[str]) -> ClipMetadata:
    try:
        return _read_mpeg_audio(path, size, view, notes)
    except CorruptClip as error:
        error.tags = vars(_read_id3(path, [], view.whole))
        raise


#: How far past the ID3 tag the audio may start: junk beyond it is not an MP3 a
#: decoder would find either, and searching 16 MiB of sync bytes costs a second.
_MAX_JUNK = 1024 * 1024


def _first_frame(view: _Mp3View, notes: list[str]) -> tuple[int, mpeg.FrameHeader]:
    """Where the MPEG audio starts: right after the ID3 tag, or after junk, found
    as decoders find it (a run of frames, within a bounded search)."""
    data = view.prefix
    audio_start = mpeg.skip_id3v2(data)
    found = mpeg.find_first_frame(data, audio_start, len(data))
    if found is None or found[0] + 4096 > len(data):
        data = view.everything()  # the audio starts late: look further
        end = min(view.stream_end, audio_start + _MAX_JUNK)
        found = mpeg.find_first_frame(data, audio_start, end)
    if found is not None and found[0] != audio_start:
        # Junk before the audio: one pair of headers may be chance, a run is not.
        end = min(view.stream_end, audio_start + _MAX_JUNK)
        found = mpeg.find_stream(data, audio_start, end) or found
    if found is None and audio_start > 0:
        data = view.everything()
        end = min(view.stream_end, _MAX_JUNK)
        found = mpeg.find_first_frame(data, 0, end)  # a tag whose size lies
        if found is not None:
            notes.append("the ID3 tag's size is wrong; audio found after searching")
    if found is None:
        raise CorruptClip("no MPEG audio frames found")
    return found


def _read_mpeg_audio(
    path: Path, size: int, view: _Mp3View, notes: list[str]
) -> ClipMetadata:
    pos, first = _first_frame(view, notes)
    data = view.whole if view.whole is not None else view.prefix
    end = view.stream_end
    spf, rate = first.samples_per_frame, first.sample_rate
    vbr = mpeg.read_vbr_header(data, pos, first)
    trim = _lame_trim(data, pos, first) if vbr else (0, 0, None)
    delay, padding, lame_method = trim

    duration: float | None = None
    truncated = False
    source = "header"
    if vbr is not None and vbr.frames:
        promise = _header_promise(vbr, vbr.frames, first, end - pos)
        truncated = promise == "more than there is"
        if promise == "kept":
            duration = max(0, vbr.frames * spf - delay - padding) / rate
            audio_bytes = (vbr.bytes or end - pos) - first.length
            bitrate = round(audio_bytes * 8 / duration) if duration else None
            if vbr.kind == "Info" or lame_method in (1, 8):
                mode = "CBR"
            elif lame_method in (2, 9):
                mode = "ABR"
            else:
                mode = "VBR"
    if duration is None:
        # No header, or one the bytes do not bear out: count the frames.
        counted_from = pos + first.length if vbr is not None else pos
        data = view.everything()
        end = view.stream_end
        count = mpeg.count_frames(data, counted_from, end)
        if count.frames == 0:
            raise CorruptClip("no complete MPEG audio frame")
        if count.frames == 1 and vbr is None:
            raise CorruptClip("a single MPEG audio frame: too short for a decoder")
        source = "frame-count"
        duration = max(0, count.frames * spf - delay) / rate
        raw = count.frames * spf / rate
        bitrate = round(count.audio_bytes * 8 / raw) if raw else None
        mode = "VBR" if count.variable_bitrate else "CBR"
        truncated = truncated or count.cut_short
        if truncated:
            promised_s = vbr.frames * spf / rate if vbr and vbr.frames else None
            notes.append(_truncation_note(duration, promised_s))
    if mode == "CBR":
        bitrate = first.bitrate  # the nominal rate; an average would be skewed by gaps
    codec = {1: "MP1", 2: "MP2", 3: "MP3"}[first.layer]
    tags = _read_id3(path, notes, view.whole)
    return ClipMetadata(
        path=str(path),
        format="MP3",
        codec=codec,
        duration=round(duration, 6),
        duration_source=source,
        bitrate=bitrate,
        bitrate_mode=mode,
        sample_rate=rate,
        channels=first.channels,
        size=size,
        truncated=truncated,
        notes=tuple(notes),
        **vars(tags),
    )


def _header_promise(
    vbr: mpeg.VbrHeader, frames: int, first: mpeg.FrameHeader, stream_bytes: int
) -> str:
    """Whether a Xing/Info/VBRI header's frame count can be true of the bytes there:
    ``"kept"``, ``"more than there is"`` (a cut file, or a lie), or ``"less"``.

    A CBR stream's frames are all as long as the first (give or take a padding
    byte); a VBR stream's lie between the shortest and longest its format allows.
    """
    if vbr.kind == "Info":
        shortest, longest = first.length - 1, first.length + 1
    else:
        shortest, longest = mpeg.frame_length_range(first)
    if vbr.bytes is not None and stream_bytes + first.length < vbr.bytes:
        return "more than there is"
    audio = stream_bytes - first.length
    if audio < (frames - 1) * shortest * 0.98:
        return "more than there is"
    if audio > (frames + 1) * longest * 1.02 + 8 * first.length:
        return "less"
    return "kept"


def _lame_trim(
    data: bytes, pos: int, first: mpeg.FrameHeader
) -> tuple[int, int, int | None]:
    """Encoder delay and padding (samples) and the VBR method from a LAME tag."""
    if first.version == 1:
        xing_at = pos + (36 if first.channels == 2 else 21)
    else:
        xing_at = pos + (21 if first.channels == 2 else 13)
    if data[xing_at : xing_at + 4] not in (b"Xing", b"Info"):
        return 0, 0, None
    (flags,) = struct.unpack_from(">I", data, xing_at + 4)
    lame_at = xing_at + 8 + 4 * bool(flags & 1) + 4 * bool(flags & 2)
    lame_at += 100 * bool(flags & 4) + 4 * bool(flags & 8)
    if data[lame_at : lame_at + 4] not in (b"LAME", b"Lavf", b"Lavc", b"L3.9"):
        return 0, 0, None
    if len(data) < lame_at + 24:
        return 0, 0, None
    method = data[lame_at + 9] & 0x0F
    b0, b1, b2 = data[lame_at + 21 : lame_at + 24]
    return (b0 << 4) | (b1 >> 4), ((b1 & 0x0F) << 8) | b2, method


def _truncation_note(playable: float, promised: float | None) -> str:
    if promised and promised > playable:
        return (
            f"truncated: the header promises {promised:.1f} s "
            f"but the file holds {playable:.1f} s"
        )
    return f"truncated: the file breaks off after {playable:.1f} s"


def _read_id3(path: Path, notes: list[str], whole: bytes | None = None) -> _Tags:
    """Tags from ID3v2 (v2.2–v2.4) or ID3v1; a damaged tag is noted, never fatal.

    Parsed from ``whole``, the file's bytes, when a frame walk has read them already.
    """
    from mutagen.id3 import ID3, ID3NoHeaderError  # on first use: see _mutagen_classes

    try:
        id3 = ID3(io.BytesIO(whole) if whole is not None else path)
    except ID3NoHeaderError:
        return _Tags()
    except Exception as error:  # mutagen raises many kinds for broken tags
        notes.append(f"damaged ID3 tag ignored ({_short(error)})")
        return _Tags()
    return _id3_tags(id3)


def _id3_tags(id3: Any) -> _Tags:
    def text(key: str) -> str | None:
        frame = id3.get(key)
        return _clean(str(frame)) if frame is not None and frame.text else None

    comment = next(
        (_clean(str(f)) for f in id3.getall("COMM") if f.text and str(f).strip()),
        None,
    )
    year = text("TDRC") or text("TYER")
    return _Tags(
        title=text("TIT2"),
        artist=text("TPE1"),
        album=text("TALB"),
        year=year[:4] if year else None,
        track=text("TRCK"),
        comment=comment,
        has_cover=bool(id3.getall("APIC") or id3.getall("PIC")),
    )


# --- Everything else -----------------------------------------------------------------


@cache
def _mutagen_classes() -> dict[str, Any]:
    """mutagen's reader for each kind of file.

    mutagen is imported on the first read, not with this module: a warm build serves
    every page from the page cache and never reads a clip, and importing mutagen
    would be a tenth of its plugin time.
    """
    from mutagen.flac import FLAC
    from mutagen.mp4 import MP4
    from mutagen.oggflac import OggFLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis

    return {
        "flac": FLAC,
        "vorbis": OggVorbis,
        "opus": OggOpus,
        "ogg-flac": OggFLAC,
        "mp4": MP4,
    }


_OGG_KINDS = ("vorbis", "opus", "ogg-flac")
_BITRATE_MODE_OF_KIND = {
    "flac": "VBR",
    "ogg-flac": "VBR",
    "opus": "VBR",
    "vorbis": "VBR",
}
_CODEC_OF_KIND = {
    "flac": "FLAC",
    "vorbis": "Vorbis",
    "opus": "Opus",
    "ogg-flac": "FLAC",
}


@dataclass
class _Stream:
    """What a container's own reading found, beside mutagen's stream info."""

    duration: float
    source: str = "header"
    truncated: bool = False
    promised: float | None = None  # what the header promised, when it is more
    channels: int | None = None
    sample_rate: int | None = None


def _read_with_mutagen(
    path: Path, handle: Any, kind: str, size: int, offset: int, notes: list[str]
) -> ClipMetadata:
    """FLAC, Ogg and MP4: mutagen for the stream info and tags, then the bytes
    themselves for what will really play."""
    boxes = _mp4_boxes_checked(handle, size) if kind == "mp4" else []
    handle.seek(0)
    try:
        audio = _mutagen_classes()[kind](handle)
    except Exception as error:
        if kind != "flac":
            raise CorruptClip(
                f"cannot parse the {kind} stream ({_short(error)})"
            ) from error
        # FLAC keeps stream info in its first block: read it without the tags.
        audio = None
        info = _flac_streaminfo(handle, offset)
        notes.append(f"damaged FLAC metadata ignored ({_short(error)})")
    else:
        info = audio.info
    tags = _container_tags(kind, audio, notes)
    declared = float(getattr(info, "length", 0) or 0)
    try:
        if kind == "flac":
            stream = _flac_stream(handle, size, offset, declared)
        elif kind == "mp4":
            stream = _mp4_stream(handle, size, boxes, declared)
        else:
            stream = _ogg_stream(handle, size, kind, info, declared)
        if stream.duration <= 0:
            raise CorruptClip("the stream holds no audio")
    except ClipError as error:
        error.tags = error.tags or vars(tags)
        raise
    if stream.truncated:
        notes.append(_truncation_note(stream.duration, stream.promised))
    duration = stream.duration
    codec = _CODEC_OF_KIND.get(kind) or _mp4_codec(info)
    bitrate = getattr(info, "bitrate", None) or None
    if kind in ("flac", "ogg-flac", "opus") or not bitrate or stream.truncated:
        bitrate = round(size * 8 / duration)  # the average the reader will download
    rate = stream.sample_rate or getattr(info, "sample_rate", None)
    return ClipMetadata(
        path=str(path),
        format=_FORMAT_OF_KIND[kind],
        codec=codec,
        duration=round(duration, 6),
        duration_source=stream.source,
        bitrate=bitrate,
        bitrate_mode=_BITRATE_MODE_OF_KIND.get(kind),
        # Opus always decodes at 48 kHz; its header's input rate is only a hint.
        sample_rate=48000 if kind == "opus" else rate,
        channels=stream.channels or getattr(info, "channels", None) or None,
        size=size,
        truncated=stream.truncated,
        notes=tuple(notes),
        **vars(tags),
    )


def _mp4_codec(info: Any) -> str:
    codec = str(getattr(info, "codec", "") or "")
    if codec.startswith("mp4a"):
        return "AAC"
    if codec == "alac":
        return "ALAC"
    return codec.upper() or "MP4"


def _container_tags(kind: str, audio: Any, notes: list[str]) -> _Tags:
    if audio is None or audio.tags is None:
        return _Tags()
    try:
        if kind == "mp4":
            return _mp4_tags(audio.tags)
        pictures = getattr(audio, "pictures", None) or []
        return _vorbis_tags(audio.tags, bool(pictures))
    except Exception as error:
        notes.append(f"damaged tags ignored ({_short(error)})")
        return _Tags()


def _vorbis_tags(comments: Any, has_pictures: bool) -> _Tags:
    def text(*keys: str) -> str | None:
        for key in keys:
            values = comments.get(key)
            if values:
                return _clean(values[0])
        return None

    year = text("date", "year")
    return _Tags(
        title=text("title"),
        artist=text("artist"),
        album=text("album"),
        year=year[:4] if year else None,
        track=text("tracknumber"),
        comment=text("comment", "description"),
        has_cover=has_pictures or bool(comments.get("metadata_block_picture")),
    )


def _mp4_tags(tags: Any) -> _Tags:
    def text(key: str) -> str | None:
        values = tags.get(key)
        return _clean(str(values[0])) if values else None

    track = tags.get("trkn")
    year = text("\xa9day")
    return _Tags(
        title=text("\xa9nam"),
        artist=text("\xa9ART"),
        album=text("\xa9alb"),
        year=year[:4] if year else None,
        track=str(track[0][0]) if track and track[0][0] else None,
        comment=text("\xa9cmt"),
        has_cover=bool(tags.get("covr")),
    )


# --- FLAC ----------------------------------------------------------------------------


def _flac_streaminfo(handle: Any, offset: int) -> Any:
    """STREAMINFO, the first FLAC block, read by hand when mutagen gives up."""
    from types import SimpleNamespace

    handle.seek(offset)
    info = _streaminfo_of(handle.read(4 + 4 + 34))
    if info is None:
        raise CorruptClip("FLAC stream info is missing")
    if not info.sample_rate:
        raise CorruptClip("FLAC stream info has no sample rate")
    return SimpleNamespace(
        length=info.total_samples / info.sample_rate,
        sample_rate=info.sample_rate,
        channels=info.channels,
        bitrate=None,
    )


def _streaminfo_of(head: bytes) -> flac.StreamInfo | None:
    """STREAMINFO from a FLAC file's first bytes: the block the format puts first."""
    if head[:4] != b"fLaC" or len(head) < 42 or head[4] & 0x7F != 0:
        return None
    if head[5:8] != b"\x00\x00\x22":  # a STREAMINFO block is 34 bytes, always
        return None
    return flac.parse_streaminfo(head[8:42])


def _flac_stream(handle: Any, size: int, offset: int, declared: float) -> _Stream:
    """The FLAC length that will play: up to the last whole frame in the file.

    STREAMINFO's total is only a promise (or 0, unknown); the frames after the
    metadata blocks are what plays, and there must be some.
    """
    handle.seek(offset)
    info = _streaminfo_of(handle.read(4 + 4 + 34))
    if info is None or not info.sample_rate:
        raise CorruptClip("FLAC stream info is missing or has no sample rate")
    start = flac.audio_start(handle, offset)
    if start is None or start >= size:
        raise CorruptClip("the FLAC file holds metadata but no audio frames")
    handle.seek(start)
    if flac.first_frame(handle.read(_FLAC_RESYNC), info) is None:
        raise CorruptClip("no FLAC frame where the metadata ends")
    handle.seek(max(start, size - flac.search_size(info)))
    tail = handle.read()
    samples = flac.playable_samples(tail[: mpeg.trailing_tags_start(tail)], info)
    if not info.total_samples:  # unknown: the last frame says how many there are
        if not samples:
            raise CorruptClip("the FLAC stream states no length and no frame ends it")
        return _Stream(samples / info.sample_rate, source="frame-count")
    if samples is None or samples >= info.total_samples:
        return _Stream(declared)
    return _Stream(
        samples / info.sample_rate,
        source="frame-count",
        truncated=True,
        promised=info.total_samples / info.sample_rate,
    )


#: Bytes after the metadata searched for the first whole frame, as decoders resync
#: over a damaged one.
_FLAC_RESYNC = 256 * 1024


# --- MP4 -----------------------------------------------------------------------------


def _mp4_boxes_checked(handle: Any, size: int) -> list[mp4.Box]:
    """The top-level boxes, once their number and the index's are known to be
    those of a real file (mutagen would walk millions of empty boxes)."""
    try:
        boxes = mp4.top_level_boxes(handle, size)
        for moov in (b for b in boxes if b.kind == b"moov" and b.end <= size):
            handle.seek(moov.start)
            mp4.check_index(handle.read(moov.end - moov.start))
    except mp4.TooManyBoxes as error:
        raise CorruptClip(f"not an MP4 a player would open: {error}") from error
    return boxes


def _mp4_stream(
    handle: Any, size: int, boxes: list[mp4.Box], declared: float
) -> _Stream:
    """The MP4 length that will play: the samples its index places inside the
    media data, and the channels and rate its codec's setup states."""
    moov = next((b for b in boxes if b.kind == b"moov" and b.end <= size), None)
    if moov is None:
        return _Stream(declared)
    handle.seek(moov.start)
    track = mp4.sound_track(
        handle.read(moov.end - moov.start),
        [(b.start, min(b.end, size)) for b in boxes if b.kind == b"mdat"],
    )
    if track is None:
        return _Stream(declared)
    setup = _Stream(declared, channels=track.channels, sample_rate=track.sample_rate)
    if track.playable is None or track.declared is None:
        return setup
    if track.playable >= min(declared, track.declared) - 0.001:
        return setup
    if track.playable <= 0:
        raise CorruptClip(
            f"the MP4 index describes {declared:.1f} s of audio, "
            "but its media data holds none of it"
        )
    return replace(
        setup,
        duration=track.playable,
        source="frame-count",
        truncated=True,
        promised=declared,
    )


# --- Ogg -----------------------------------------------------------------------------


def _ogg_stream(
    handle: Any, size: int, kind: str, info: Any, declared: float
) -> _Stream:
    """The Ogg length that will play: the last page of the audio stream whose
    checksum holds (mutagen trusts the last page it finds, whatever it holds)."""
    handle.seek(0)
    stream = ogg.audio_stream(handle.read(_HEAD))
    if stream is None:
        raise CorruptClip("no audio stream at the start of the Ogg file")
    reach = ogg.MAX_PAGE
    while True:
        handle.seek(max(0, size - reach))
        tail = handle.read(reach)
        page, damaged_after = ogg.last_good_page(tail, stream.serial)
        if page is not None or reach >= min(size, _OGG_SEARCH):
            break
        reach *= 4  # the stream's last good page is further back
    if page is None:
        raise CorruptClip("no whole Ogg page of the audio stream near the end")
    samples, rate = page.granule - stream.pre_skip, stream.sample_rate
    if not rate:
        raise CorruptClip("the Ogg stream states no sample rate")
    seconds = max(0, samples) / rate
    cut = damaged_after or not page.last or page.end < len(tail)
    source = "header" if abs(seconds - declared) < 0.001 else "frame-count"
    return _Stream(seconds, source=source, truncated=cut)


#: How far back from the end the last good Ogg page is looked for.
_OGG_SEARCH = 4 * 1024 * 1024


# --- WAV -----------------------------------------------------------------------------


def _read_wav(path: Path, handle: Any, size: int, notes: list[str]) -> ClipMetadata:
    """A WAV by its own chunks (mutagen reads only plain RIFF, and measures every
    codec as PCM)."""
    try:
        parsed = wav.parse(handle, size)
    except wav.WavError as error:
        raise CorruptClip(str(error)) from error
    tags = _wav_tags(parsed, notes)
    available = max(0, size - parsed.data_offset)
    try:
        duration = parsed.seconds(available)
    except wav.WavError as error:
        raise CorruptClip(str(error), vars(tags)) from error
    if duration <= 0:
        raise CorruptClip("the WAV data chunk holds no audio", vars(tags))
    truncated = available < parsed.data_size
    if truncated:
        notes.append(_truncation_note(duration, parsed.seconds(parsed.data_size)))
    linear = parsed.codec == "PCM"
    return ClipMetadata(
        path=str(path),
        format="WAV",
        codec=parsed.codec,
        duration=round(duration, 6),
        duration_source="data-size" if linear or not parsed.fact_samples else "header",
        bitrate=parsed.byte_rate * 8 or round(size * 8 / duration),
        bitrate_mode="CBR",
        sample_rate=parsed.sample_rate,
        channels=parsed.channels,
        size=size,
        truncated=truncated,
        notes=tuple(notes),
        **vars(tags),
    )


def _wav_tags(parsed: wav.Wav, notes: list[str]) -> _Tags:
    """An ``id3 `` chunk's tags, else those of ``LIST/INFO``."""
    if parsed.id3:
        from mutagen.id3 import ID3

        try:
            return _id3_tags(ID3(io.BytesIO(parsed.id3)))
        except Exception as error:
            notes.append(f"damaged ID3 tag ignored ({_short(error)})")
    info = parsed.info
    if not info:
        return _Tags()
    year = _clean(info.get("ICRD", ""))
    return _Tags(
        title=_clean(info.get("INAM", "")),
        artist=_clean(info.get("IART", "")),
        album=_clean(info.get("IPRD", "")),
        year=year[:4] if year else None,
        track=_clean(info.get("ITRK", "")),
        comment=_clean(info.get("ICMT", "")),
    )


#: Characters tag text never carries into a page: shown as their typographic
#: look-alikes. Escaping alone is not enough, for themes undo it: ``striptags``
#: turns ``&lt;`` back into ``<``, and a tag that reached a ``<meta>`` attribute
#: that way could end it and start a script.
_LOOK_ALIKES = str.maketrans({"<": "‹", ">": "›", '"': "”", "'": "’", "`": "‘"})


def _clean(value: str) -> str | None:
    """A tag value fit to show: control characters gone, markup characters as
    look-alikes, length bounded."""
    value = "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()
    value = value.translate(_LOOK_ALIKES)
    if len(value) > MAX_TAG_CHARS:
        value = value[: MAX_TAG_CHARS - 1].rstrip() + "…"
    return value or None


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 80 else text[:77] + "…"
