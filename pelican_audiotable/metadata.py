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
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from . import flac, mp4, mpeg
from .formats import AUDIO_EXTENSIONS

#: How far into a tag value we read: a huge frame must not flood the page.
MAX_TAG_CHARS = 300


class ClipError(Exception):
    """A clip that cannot be read; ``kind`` is what the page marks it with."""

    kind = "unreadable"


class EmptyClip(ClipError):
    kind = "empty"


class NotAudio(ClipError):
    kind = "not-audio"


class CorruptClip(ClipError):
    kind = "corrupt"


@dataclass(frozen=True)
class ClipMetadata:
    """Everything known about one clip file. ``None`` means unknown."""

    path: str
    format: str  # container: MP3, Ogg, FLAC, MP4, WAV
    codec: str  # MP3, Vorbis, Opus, FLAC, AAC, ALAC, PCM …
    duration: float | None  # seconds that will play
    duration_source: str | None  # "header", "frame-count" or "data-size"
    bitrate: int | None  # bits per second
    bitrate_mode: str | None  # "CBR", "VBR" or "ABR"
    sample_rate: int | None
    channels: int | None
    size: int
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    year: str | None = None
    track: str | None = None
    comment: str | None = None
    has_cover: bool = False
    truncated: bool = False
    #: Problems that did not stop the reading (truncation, a damaged tag, …).
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _FIELDS}
        data["notes"] = list(self.notes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClipMetadata:
        return cls(**{**data, "notes": tuple(data.get("notes", ()))})


_FIELDS = tuple(f.name for f in fields(ClipMetadata))


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
    """Read one clip. Raises :class:`ClipError` when nothing playable is there."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise EmptyClip("the file is empty")
        with path.open("rb") as handle:
            head = handle.read(64)
            kind = sniff(head)
            if kind is None:
                raise NotAudio("not an audio file (unknown content)")
            data = _mp3_view(handle, head, size) if kind == "mp3" else None
    except OSError as error:
        raise ClipError(f"cannot read the file: {error.strerror or error}") from error

    notes: list[str] = []
    claimed = AUDIO_EXTENSIONS.get(path.suffix.lower())
    actual = _FORMAT_OF_KIND[kind]
    if claimed is not None and claimed != actual:
        notes.append(
            f"the file is {actual} although its name ends in {path.suffix}; "
            "read by its content (some browsers will refuse it)"
        )
    reader = _read_mp3 if kind == "mp3" else _read_with_mutagen
    return reader(path, kind, size, data, notes)


def sniff(head: bytes) -> str | None:
    """The kind of audio a file holds, from its first bytes."""
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        if b"OpusHead" in head:
            return "opus"
        if b"\x7fFLAC" in head:
            return "ogg-flac"
        if b"\x01vorbis" in head:
            return "vorbis"
        return None
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:3] == b"ID3":
        return "mp3"  # ID3v2 is found in front of MPEG audio (and nothing else here)
    if len(head) >= 4 and mpeg.parse_header(head, 0) is not None:
        return "mp3"
    return None


_FORMAT_OF_KIND = {
    "mp3": "MP3",
    "wav": "WAV",
    "flac": "FLAC",
    "opus": "Ogg",
    "vorbis": "Ogg",
    "ogg-flac": "Ogg",
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
    prefix = head + handle.read(max(0, tag + _LOOKAHEAD - len(head)))
    if len(prefix) >= size:
        return _Mp3View(Path(handle.name), size, prefix, prefix, whole=prefix)
    handle.seek(max(len(prefix), size - _TAIL))
    return _Mp3View(Path(handle.name), size, prefix, handle.read())


def _read_mp3(
    path: Path, kind: str, size: int, view: _Mp3View, notes: list[str]
) -> ClipMetadata:
    data = view.prefix
    audio_start = mpeg.skip_id3v2(data)
    found = mpeg.find_first_frame(data, audio_start, len(data))
    if found is None or found[0] + 4096 > len(data):
        data = view.everything()  # the audio starts late: look everywhere
        found = mpeg.find_first_frame(data, audio_start, view.stream_end)
    if found is None and audio_start > 0:
        found = mpeg.find_first_frame(data, 0, view.stream_end)  # a tag whose size lies
        if found is not None:
            notes.append("the ID3 tag's size is wrong; audio found after searching")
    if found is None:
        raise CorruptClip("no MPEG audio frames found")
    end = view.stream_end
    pos, first = found
    spf, rate = first.samples_per_frame, first.sample_rate
    vbr = mpeg.read_vbr_header(data, pos, first)
    trim = _lame_trim(data, pos, first) if vbr else (0, 0, None)
    delay, padding, lame_method = trim

    duration: float | None = None
    truncated = False
    source = "header"
    if vbr is not None and vbr.frames:
        stream_bytes = end - pos
        promised = vbr.bytes
        if promised is not None and stream_bytes + first.length < promised:
            truncated = True
        else:
            duration = max(0, vbr.frames * spf - delay - padding) / rate
            audio_bytes = (promised or stream_bytes) - first.length
            bitrate = round(audio_bytes * 8 / duration) if duration else None
            if vbr.kind == "Info" or lame_method in (1, 8):
                mode = "CBR"
            elif lame_method in (2, 9):
                mode = "ABR"
            else:
                mode = "VBR"
    if duration is None:
        # No header, or one that promises more than the file holds: count.
        counted_from = pos + first.length if vbr is not None else pos
        data = view.everything()
        end = view.stream_end
        count = mpeg.count_frames(data, counted_from, end)
        if count.frames == 0 and vbr is None:
            raise CorruptClip("no complete MPEG audio frame")
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
    from mutagen.wave import WAVE

    return {
        "flac": FLAC,
        "vorbis": OggVorbis,
        "opus": OggOpus,
        "ogg-flac": OggFLAC,
        "mp4": MP4,
        "wav": WAVE,
    }


_OGG_KINDS = ("vorbis", "opus", "ogg-flac")
_BITRATE_MODE_OF_KIND = {
    "wav": "CBR",
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
    "wav": "PCM",
}


def _read_with_mutagen(
    path: Path, kind: str, size: int, data: bytes, notes: list[str]
) -> ClipMetadata:
    try:
        audio = _mutagen_classes()[kind](path)
    except Exception as error:
        if kind != "flac":
            raise CorruptClip(
                f"cannot parse the {kind} stream ({_short(error)})"
            ) from error
        # FLAC keeps stream info in its first block: read it without the tags.
        audio = None
        info = _flac_streaminfo(path)
        notes.append(f"damaged FLAC metadata ignored ({_short(error)})")
    else:
        info = audio.info
    duration = float(getattr(info, "length", 0) or 0)
    source = "header"
    truncated = False
    if kind == "wav":
        duration, truncated = _wav_playable(path, size, info, duration)
        source = "data-size"
    elif kind == "flac":
        duration, truncated = _flac_playable(path, size, duration)
        source = "frame-count" if truncated else source
    elif kind == "mp4":
        duration, truncated = _mp4_playable(path, size, duration)
        source = "frame-count" if truncated else source
    elif kind in _OGG_KINDS:
        # mutagen's length is the last whole page's: what plays. Only say so.
        truncated = _ogg_cut_short(path, size)
    if truncated:
        # An Ogg stream states no total length; the others promise one.
        promised = None if kind in _OGG_KINDS else float(info.length)
        notes.append(_truncation_note(duration, promised))
    if duration <= 0:
        raise CorruptClip("the stream holds no audio")
    codec = _CODEC_OF_KIND.get(kind) or _mp4_codec(info)
    bitrate = getattr(info, "bitrate", None) or None
    if kind in ("flac", "ogg-flac", "opus") or not bitrate:
        bitrate = round(size * 8 / duration)  # the average the reader will download
    return ClipMetadata(
        path=str(path),
        format=_FORMAT_OF_KIND[kind],
        codec=codec,
        duration=round(duration, 6),
        duration_source=source,
        bitrate=bitrate,
        bitrate_mode=_BITRATE_MODE_OF_KIND.get(kind),
        # Opus always decodes at 48 kHz; its header's input rate is only a hint.
        sample_rate=48000 if kind == "opus" else getattr(info, "sample_rate", None),
        channels=getattr(info, "channels", None) or None,
        size=size,
        truncated=truncated,
        notes=tuple(notes),
        **vars(_container_tags(kind, audio, notes)),
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
        if kind == "wav":
            return _id3_tags(audio.tags)
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


def _flac_streaminfo(path: Path) -> Any:
    """STREAMINFO, the first FLAC block, read by hand when mutagen gives up."""
    from types import SimpleNamespace

    with path.open("rb") as handle:
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
    return flac.parse_streaminfo(head[8:42])


def _flac_playable(path: Path, size: int, declared: float) -> tuple[float, bool]:
    """The FLAC length that will play, and whether the file was cut short."""
    with path.open("rb") as handle:
        info = _streaminfo_of(handle.read(4 + 4 + 34))
        if info is None or not info.sample_rate or not info.total_samples:
            return declared, False
        handle.seek(max(0, size - flac.search_size(info)))
        tail = handle.read()
    samples = flac.playable_samples(tail[: mpeg.trailing_tags_start(tail)], info)
    if samples is None or samples >= info.total_samples:
        return declared, False
    return samples / info.sample_rate, True


def _mp4_playable(path: Path, size: int, declared: float) -> tuple[float, bool]:
    """The MP4 length that will play, and whether its media data was cut short."""
    with path.open("rb") as handle:
        boxes = mp4.top_level_boxes(handle, size)
        if not any(box.kind == b"mdat" and box.end > size for box in boxes):
            return declared, False
        moov = next((b for b in boxes if b.kind == b"moov" and b.end <= size), None)
        if moov is None:
            return declared, False
        handle.seek(moov.start)
        index = handle.read(moov.end - moov.start)
    seconds = mp4.playable_seconds(index, size)
    if seconds is None or seconds >= declared:
        return declared, False
    return seconds, True


#: The largest Ogg page: header, 255 lacing values, 255 segments of 255 bytes.
_OGG_MAX_PAGE = 27 + 255 + 255 * 255


def _ogg_cut_short(path: Path, size: int) -> bool:
    """Whether an Ogg stream ends without a whole last page marked end-of-stream."""
    with path.open("rb") as handle:
        first = handle.read(27)
        handle.seek(max(0, size - _OGG_MAX_PAGE))
        tail = handle.read()
    # The stream's serial number, after the capture pattern, tells its pages from
    # chance "OggS" bytes in the audio.
    marker = b"OggS\x00"
    serial = first[14:18]
    at = tail.rfind(marker)
    while at >= 0 and tail[at + 14 : at + 18] != serial:
        at = tail.rfind(marker, 0, at)
    if at < 0:
        return False  # no page header in reach: nothing to judge by
    if at + 27 > len(tail):
        return True  # the file ends inside a page header
    lacing = tail[at + 27 : at + 27 + tail[at + 26]]
    if len(lacing) < tail[at + 26]:
        return True  # or inside its table of segment sizes
    end = at + 27 + len(lacing) + sum(lacing)
    return end > len(tail) or not tail[at + 5] & 0x04


def _wav_playable(
    path: Path, size: int, info: Any, declared: float
) -> tuple[float, bool]:
    """The WAV length that will play, and whether the data chunk was cut short."""
    with path.open("rb") as handle:
        handle.seek(12)
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return declared, False
            chunk_id, chunk_size = struct.unpack("<4sI", header)
            if chunk_id == b"data":
                available = size - handle.tell()
                if chunk_size <= available:
                    return declared, False
                block = max(1, info.channels * info.bits_per_sample // 8)
                return available // block / info.sample_rate, True
            handle.seek(chunk_size + (chunk_size & 1), 1)


def _clean(value: str) -> str | None:
    """A tag value fit to show: control characters gone, length bounded."""
    value = "".join(ch for ch in value if ch.isprintable() or ch == " ").strip()
    if len(value) > MAX_TAG_CHARS:
        value = value[: MAX_TAG_CHARS - 1].rstrip() + "…"
    return value or None


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 80 else text[:77] + "…"
