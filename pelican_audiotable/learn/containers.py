"""FLAC, Ogg, MP4 and WAV metadata: mutagen for the stream info and tags of the
first three, then the bytes themselves for what will really play (:mod:`.flac`,
:mod:`.ogg`, :mod:`.mp4`); WAVs by their own chunks (:mod:`.wav`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ClipError, CorruptClip, short_reason
from ..formats import FORMAT_OF_KIND
from ..model import ClipContent, truncation_note
from .parsers import flac, mp4, mpeg, ogg, wav
from .tags import container_tags, wav_tags


@cache
def _mutagen_classes() -> dict[str, Any]:
    """mutagen's reader for each kind of file.

    mutagen is imported on the first read, not with this module: a warm build serves
    every page from the page store and never reads a clip, and importing mutagen
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


def read_with_mutagen(
    path: Path,
    handle: Any,
    head: bytes,
    kind: str,
    size: int,
    offset: int,
) -> ClipContent:
    """FLAC, Ogg and MP4: mutagen for the stream info and tags, then the bytes
    themselves for what will really play. ``head`` is the file's first bytes."""
    notes: list[str] = []
    index = _mp4_index(handle, size) if kind == "mp4" else None
    handle.seek(0)
    try:
        audio = _mutagen_classes()[kind](handle)
    except Exception as error:
        if kind != "flac":
            raise CorruptClip(
                f"cannot parse the {kind} stream ({short_reason(error)})"
            ) from error
        # FLAC keeps stream info in its first block: read it without the tags.
        audio = None
        info = _flac_info(handle, offset)
        notes.append(f"damaged FLAC metadata ignored ({short_reason(error)})")
    else:
        info = audio.info
    tags, damaged = container_tags(kind, audio)
    notes += [damaged] if damaged else []
    declared = float(getattr(info, "length", 0) or 0)
    try:
        if kind == "flac":
            stream = _flac_stream(handle, size, offset, declared)
        elif index is not None:
            stream = _mp4_stream(index, declared)
        else:
            stream = _ogg_stream(handle, head, size, declared)
        if stream.duration <= 0:
            raise CorruptClip("the stream holds no audio")
    except ClipError as error:
        error.tags = error.tags or vars(tags)
        raise
    if stream.truncated:
        notes.append(truncation_note(stream.duration, stream.promised))
    duration = stream.duration
    codec = _CODEC_OF_KIND.get(kind) or _mp4_codec(info)
    bitrate = getattr(info, "bitrate", None) or None
    if kind in ("flac", "ogg-flac", "opus") or not bitrate or stream.truncated:
        bitrate = round(size * 8 / duration)  # the average the reader will download
    rate = stream.sample_rate or getattr(info, "sample_rate", None)
    return ClipContent(
        format=FORMAT_OF_KIND[kind],
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


# --- FLAC ----------------------------------------------------------------------------


def _flac_info(handle: Any, offset: int) -> Any:
    """STREAMINFO as mutagen's stream info, read by hand when mutagen gives up."""
    from types import SimpleNamespace

    info = _streaminfo(handle, offset)
    return SimpleNamespace(
        length=info.total_samples / info.sample_rate,
        sample_rate=info.sample_rate,
        channels=info.channels,
        bitrate=None,
    )


def _streaminfo(handle: Any, offset: int) -> flac.StreamInfo:
    """STREAMINFO, the block a FLAC stream (at ``offset``) puts first."""
    handle.seek(offset)
    head = handle.read(4 + 4 + 34)
    info = None
    # The block's type is 0, and it is 34 bytes long, always.
    if (
        len(head) == 42
        and head[:4] == b"fLaC"
        and head[4] & 0x7F == 0
        and head[5:8] == b"\x00\x00\x22"
    ):
        info = flac.parse_streaminfo(head[8:42])
    if info is None:
        raise CorruptClip("FLAC stream info is missing")
    if not info.sample_rate:
        raise CorruptClip("FLAC stream info has no sample rate")
    return info


def _flac_stream(handle: Any, size: int, offset: int, declared: float) -> _Stream:
    """The FLAC length that will play: up to the last whole frame in the file.

    STREAMINFO's total is only a promise (or 0, unknown); the frames after the
    metadata blocks are what plays, and there must be some.
    """
    info = _streaminfo(handle, offset)
    start = flac.audio_start(handle, offset)
    if start is None or start >= size:
        raise CorruptClip("the FLAC file holds metadata but no audio frames")
    handle.seek(start)
    first = flac.first_frame(handle.read(_FLAC_RESYNC), info)
    if first is None:
        raise CorruptClip("no FLAC frame where the metadata ends")
    if info.max_block and first.block_size > info.max_block:
        raise CorruptClip(
            f"its FLAC frames hold {first.block_size} samples, more than its "
            f"STREAMINFO allows ({info.max_block}): decoders refuse them"
        )
    # A fixed-size stream numbers its frames: the first frame's size is the one
    # they count in, whatever STREAMINFO says it is.
    info = replace(info, max_block=first.block_size) if first.fixed else info
    handle.seek(max(start, size - flac.search_size(info)))
    tail = handle.read()
    samples = flac.playable_samples(tail[: mpeg.trailing_tags_start(tail)], info)
    if not info.total_samples:  # unknown: the last frame says how many there are
        if not samples:
            raise CorruptClip("the FLAC stream states no length and no frame ends it")
        return _Stream(samples / info.sample_rate, source="frame-count")
    if samples is None or samples == info.total_samples:
        return _Stream(declared)
    if samples > info.total_samples:  # frames past the promise: they play too
        return _Stream(samples / info.sample_rate, source="frame-count")
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


#: Bits a second below which no audio a browser plays can be (Opus goes to 6,000).
_LEAST_BITRATE = 2000


@dataclass(frozen=True)
class _Mp4Index:
    """An MP4's ``moov`` payload (None when it has none inside the file), and
    where its media data lies."""

    moov: bytes | None
    media: list[tuple[int, int]]


def _mp4_index(handle: Any, size: int) -> _Mp4Index:
    """The index, read once, after its boxes and the file's are known to be as
    many as a real file has (mutagen would walk millions of empty boxes)."""
    try:
        boxes = mp4.top_level_boxes(handle, size)
        moov = next((b for b in boxes if b.kind == b"moov" and b.end <= size), None)
        index = None
        if moov is not None:
            handle.seek(moov.start)
            index = handle.read(moov.end - moov.start)
            mp4.check_index(index)
    except mp4.TooManyBoxes as error:
        raise CorruptClip(f"not an MP4 a player would open: {error}") from error
    media = [(b.start, min(b.end, size)) for b in boxes if b.kind == b"mdat"]
    return _Mp4Index(index, media)


def _mp4_stream(index: _Mp4Index, declared: float) -> _Stream:
    """The MP4 length that will play: the samples its index places inside the
    media data, and the channels and rate its codec's setup states."""
    if not index.media and declared > 0:
        raise CorruptClip(
            f"the MP4 promises {declared:.1f} s of audio but holds no media data"
        )
    if index.moov is None:
        return _Stream(declared)
    track = mp4.sound_track(index.moov, index.media)
    if track is None or track.playable is None or track.declared is None:
        # No sample table to check the promise against: the bytes must at least
        # be enough for it (no codec a browser plays goes below 6 kbit/s).
        held = sum(end - start for start, end in index.media)
        if declared > 0 and held * 8 / declared < _LEAST_BITRATE:
            raise CorruptClip(
                f"the MP4 promises {declared:.1f} s of audio but holds only "
                f"{held} bytes of media data"
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


def _ogg_stream(handle: Any, head: bytes, size: int, declared: float) -> _Stream:
    """The Ogg length that will play: the last page of the audio stream whose
    checksum holds (mutagen trusts the last page it finds, whatever it holds)."""
    stream = ogg.audio_stream(head)
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


def read_wav(path: Path, handle: Any, size: int) -> ClipContent:
    """A WAV by its own chunks (mutagen reads only plain RIFF, and measures every
    codec as PCM)."""
    notes: list[str] = []
    try:
        parsed = wav.parse(handle, size)
    except wav.WavError as error:
        raise CorruptClip(str(error)) from error
    tags, damaged = wav_tags(parsed)
    notes += [damaged] if damaged else []
    available = max(0, size - parsed.data_offset)
    try:
        duration = parsed.seconds(available)
    except wav.WavError as error:
        raise CorruptClip(str(error), vars(tags)) from error
    if duration <= 0:
        raise CorruptClip("the WAV data chunk holds no audio", vars(tags))
    truncated = available < parsed.data_size
    if truncated:
        notes.append(truncation_note(duration, parsed.seconds(parsed.data_size)))
    linear = parsed.codec == "PCM"
    return ClipContent(
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
