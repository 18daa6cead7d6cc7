"""An MP3's metadata: its exact length from its Xing/Info/VBRI header when the
bytes bear the header out, else from its frames, counted (:mod:`.mpeg`)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CorruptClip
from ..files import read_regular
from ..model import ClipContent, truncation_note
from .parsers import mpeg
from .tags import read_id3

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
            self.whole = read_regular(self.path)
        return self.whole


def mp3_view(path: Path, handle: Any, head: bytes, size: int) -> _Mp3View:
    """The MP3 open in ``handle``, whose first bytes are ``head``."""
    tag = mpeg.skip_id3v2(head) if head[:3] == b"ID3" else 0
    handle.seek(len(head))
    prefix = head + handle.read(max(0, tag + _LOOKAHEAD - len(head)))
    if len(prefix) >= size:
        return _Mp3View(path, size, prefix, prefix, whole=prefix)
    handle.seek(max(len(prefix), size - _TAIL))
    return _Mp3View(path, size, prefix, handle.read())


def read_mp3(view: _Mp3View) -> ClipContent:
    try:
        return _read_mpeg_audio(view)
    except CorruptClip as error:
        error.tags = vars(read_id3(view.path, view.whole)[0])
        raise


#: How far past the ID3 tag the audio may start: junk beyond it is not an MP3 a
#: decoder would find either, and searching 16 MiB of sync bytes costs a second.
_MAX_JUNK = 1024 * 1024


def _first_frame(view: _Mp3View) -> tuple[int, mpeg.FrameHeader, str | None]:
    """Where the MPEG audio starts: right after the ID3 tag, or after junk, found
    as decoders find it (a run of frames, within a bounded search); and a note
    when the tag's own size said otherwise."""
    note = None
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
            note = "the ID3 tag's size is wrong; audio found after searching"
    if found is None:
        raise CorruptClip("no MPEG audio frames found")
    return (*found, note)


def _read_mpeg_audio(view: _Mp3View) -> ClipContent:
    pos, first, found_late = _first_frame(view)
    notes = [found_late] if found_late else []
    data = view.whole if view.whole is not None else view.prefix
    end = view.stream_end
    spf, rate = first.samples_per_frame, first.sample_rate
    vbr = mpeg.read_vbr_header(data, pos, first)
    trim = _lame_trim(data, pos, first) if vbr else (0, 0, None)
    # The nominal rate is the audio's: a tag's frame may be written at a higher one.
    nominal = (mpeg.parse_header(data, pos + first.length) if vbr else None) or first
    delay, padding, lame_method = trim

    duration: float | None = None
    truncated = False
    source = "header"
    if vbr is not None and vbr.frames:
        promise = _header_promise(vbr, nominal, end - pos, first.length)
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
            notes.append(truncation_note(duration, promised_s))
    if mode == "CBR":
        bitrate = nominal.bitrate  # an average would be skewed by gaps
    codec = {1: "MP1", 2: "MP2", 3: "MP3"}[first.layer]
    tags, damaged = read_id3(view.path, view.whole)
    notes += [damaged] if damaged else []
    return ClipContent(
        format="MP3",
        codec=codec,
        duration=round(duration, 6),
        duration_source=source,
        bitrate=bitrate,
        bitrate_mode=mode,
        sample_rate=rate,
        channels=first.channels,
        size=view.size,
        truncated=truncated,
        notes=tuple(notes),
        **vars(tags),
    )


def _header_promise(
    vbr: mpeg.VbrHeader, audio_frame: mpeg.FrameHeader, stream_bytes: int, tag: int
) -> str:
    """Whether a Xing/Info/VBRI header's frame count can be true of the bytes there:
    ``"kept"``, ``"more than there is"`` (a cut file, or a lie), or ``"less"``.

    ``tag`` is the length of the frame that holds the header, ``audio_frame`` the
    first frame after it: an encoder writes the tag's frame at a bitrate that
    holds it (at 8 kHz, more than the stream's). A CBR stream's frames are all as
    long as that one (give or take a padding byte); a VBR stream's lie between the
    shortest and longest its format allows.
    """
    if vbr.kind == "Info":
        shortest, longest = audio_frame.length - 1, audio_frame.length + 1
    else:
        shortest, longest = mpeg.frame_length_range(audio_frame)
    if vbr.bytes is not None and stream_bytes + tag < vbr.bytes:
        return "more than there is"
    audio, frames = stream_bytes - tag, vbr.frames or 0
    if audio < (frames - 1) * shortest * 0.98:
        return "more than there is"
    if audio > (frames + 1) * longest * 1.02 + 8 * tag:
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
