"""MPEG audio frames, counted: the exact length of an MP3 without a trustworthy header.

An MP3 without a Xing/Info/VBRI header says nothing of its length; tools estimate it
from the first frame's bitrate, which for VBR files is off by -59 % to +221 %. Walking
the frame headers is the only exact answer, so this walk is kept small and fast.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import cache

_BITRATES_KBPS = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {
    1: (44100, 48000, 32000),
    2: (22050, 24000, 16000),
    25: (11025, 12000, 8000),
}
_VERSIONS = {0b00: 25, 0b10: 2, 0b11: 1}
_LAYERS = {0b01: 3, 0b10: 2, 0b11: 1}


@dataclass(frozen=True)
class FrameHeader:
    """The fixed part of an MPEG audio frame header."""

    version: int  # 1, 2 or 25 (for MPEG 2.5)
    layer: int
    sample_rate: int
    channels: int
    bitrate: int  # bits per second
    length: int  # bytes, padding included

    @property
    def samples_per_frame(self) -> int:
        if self.layer == 1:
            return 384
        if self.layer == 3 and self.version != 1:
            return 576
        return 1152


@dataclass(frozen=True)
class VbrHeader:
    """What a Xing/Info or VBRI header in the first frame promises."""

    kind: str  # "Xing", "Info" or "VBRI"
    frames: int | None
    bytes: int | None


@dataclass(frozen=True)
class FrameCount:
    """The result of walking a stream's frames."""

    frames: int
    audio_bytes: int
    variable_bitrate: bool
    cut_short: bool  # the stream ends inside a frame


def parse_header(data: bytes, pos: int) -> FrameHeader | None:
    """The frame header at ``pos``, or None when there is none."""
    if pos + 4 > len(data) or data[pos] != 0xFF or data[pos + 1] & 0xE0 != 0xE0:
        return None
    b1, b2, b3 = data[pos + 1], data[pos + 2], data[pos + 3]
    version = _VERSIONS.get((b1 >> 3) & 3)
    layer = _LAYERS.get((b1 >> 1) & 3)
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 3
    if version is None or layer is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    length = _frame_lengths((b1 | 1) & 0xFF)[b2]
    kbps = _BITRATES_KBPS[(min(version, 2), layer)][bitrate_index]
    return FrameHeader(
        version=version,
        layer=layer,
        sample_rate=_SAMPLE_RATES[version][rate_index],
        channels=1 if (b3 >> 6) == 3 else 2,
        bitrate=kbps * 1000,
        length=length,
    )


@cache
def _frame_lengths(b1: int) -> tuple[int, ...]:
    """Frame length for each value of a header's third byte, given its second byte.

    Zero marks an invalid header. Indexing this table is what keeps the walk fast.
    """
    version = _VERSIONS.get((b1 >> 3) & 3)
    layer = _LAYERS.get((b1 >> 1) & 3)
    if version is None or layer is None:
        return (0,) * 256
    kbps_table = _BITRATES_KBPS[(min(version, 2), layer)]
    lengths = []
    for b2 in range(256):
        bitrate_index, rate_index, padding = b2 >> 4, (b2 >> 2) & 3, (b2 >> 1) & 1
        if bitrate_index in (0, 15) or rate_index == 3:
            lengths.append(0)
            continue
        bitrate = kbps_table[bitrate_index] * 1000
        rate = _SAMPLE_RATES[version][rate_index]
        if layer == 1:
            lengths.append((12 * bitrate // rate + padding) * 4)
        else:
            per_sample_bytes = 72 if (layer == 3 and version != 1) else 144
            lengths.append(per_sample_bytes * bitrate // rate + padding)
    return tuple(lengths)


def _sync_pattern() -> re.Pattern[bytes]:
    """The first three bytes of every valid frame header, as one regular expression:
    the search for a frame then skips runs of 0xFF or 0x00 at C speed."""

    def one_of(values: list[int]) -> bytes:
        return b"[" + b"".join(re.escape(bytes((v,))) for v in values) + b"]"

    second = [
        b1
        for b1 in range(0xE0, 0x100)
        if _VERSIONS.get((b1 >> 3) & 3) and _LAYERS.get((b1 >> 1) & 3)
    ]
    third = [b2 for b2 in range(256) if b2 >> 4 not in (0, 15) and (b2 >> 2) & 3 != 3]
    return re.compile(b"\xff" + one_of(second) + one_of(third))


_SYNC = _sync_pattern()

#: Candidate headers one file's searches look at before they give up: a file of
#: nothing but lone headers would otherwise cost a Python step every four bytes.
SEARCH_BUDGET = 4096


@dataclass
class Budget:
    """What is left of a file's :data:`SEARCH_BUDGET`, shared by its searches."""

    left: int = SEARCH_BUDGET


def find_first_frame(
    data: bytes, start: int, end: int, budget: Budget | None = None
) -> tuple[int, FrameHeader] | None:
    """The first frame at or after ``start`` that a second valid frame follows."""
    budget = budget or Budget()
    for match in _SYNC.finditer(data, start, end):
        pos = match.start()
        header = parse_header(data, pos)
        if header is not None and _followed_by_frame(data, pos, header, end):
            return pos, header
        budget.left -= 1
        if budget.left <= 0:
            return None
    return None


def find_stream(
    data: bytes, start: int, end: int, chain: int = 4
) -> tuple[int, FrameHeader] | None:
    """The first run of ``chain`` frames in a row, as decoders find the stream after
    junk (padding, garbage, a broken frame): one header by chance is no stream."""
    budget = Budget()
    for match in _SYNC.finditer(data, start, end):
        pos = match.start()
        first = parse_header(data, pos)
        budget.left -= 1
        if first is None:
            continue
        at, length, linked = pos, first.length, 1
        while linked < chain:
            at += length
            if at == end:
                linked = chain  # the stream ends on a frame boundary
                break
            header = parse_header(data, at)
            if header is None or header.sample_rate != first.sample_rate:
                break
            length, linked = header.length, linked + 1
        if linked >= chain:
            return pos, first
        if budget.left <= 0:
            return None
    return None


def frame_length_range(header: FrameHeader) -> tuple[int, int]:
    """The shortest and longest frame a stream like ``header``'s can have: what a
    header's frame count must fit in the bytes there."""
    lengths = [n for n in _frame_lengths(_second_byte(header)) if n]
    return min(lengths), max(lengths)


def _second_byte(header: FrameHeader) -> int:
    version_bits = {1: 0b11, 2: 0b10, 25: 0b00}[header.version]
    layer_bits = {3: 0b01, 2: 0b10, 1: 0b11}[header.layer]
    return 0xE0 | (version_bits << 3) | (layer_bits << 1) | 1


def _followed_by_frame(data: bytes, pos: int, header: FrameHeader, end: int) -> bool:
    following = pos + header.length
    if following >= end:  # a one-frame stream: nothing to confirm it with
        return following == end
    nxt = parse_header(data, following)
    return nxt is not None and nxt.sample_rate == header.sample_rate


def read_vbr_header(data: bytes, pos: int, header: FrameHeader) -> VbrHeader | None:
    """The Xing/Info or VBRI header inside the frame at ``pos``, if any."""
    if header.version == 1:
        xing_at = pos + (36 if header.channels == 2 else 21)
    else:
        xing_at = pos + (21 if header.channels == 2 else 13)
    tag = data[xing_at : xing_at + 4]
    if tag in (b"Xing", b"Info") and len(data) >= xing_at + 8:
        (flags,) = struct.unpack_from(">I", data, xing_at + 4)
        at = xing_at + 8
        frames = total = None
        if flags & 1 and len(data) >= at + 4:
            (frames,) = struct.unpack_from(">I", data, at)
            at += 4
        if flags & 2 and len(data) >= at + 4:
            (total,) = struct.unpack_from(">I", data, at)
        return VbrHeader(tag.decode(), frames, total)
    vbri_at = pos + 36
    if data[vbri_at : vbri_at + 4] == b"VBRI" and len(data) >= vbri_at + 18:
        total, frames = struct.unpack_from(">II", data, vbri_at + 10)
        return VbrHeader("VBRI", frames, total)
    return None


def count_frames(data: bytes, start: int, end: int) -> FrameCount:
    """Walk the frames from ``start`` (a valid frame) up to ``end``.

    Garbage between frames is skipped by looking for the next pair of valid
    frames, as decoders do; a frame that runs past ``end`` is not counted. The
    loop is the hot path of reading a header-less VBR file, so it does as little
    as it can: bitrates are judged afterwards, from the bytes the frames took.
    """
    if start + 4 > end:
        return FrameCount(0, 0, False, start < end)
    b1 = data[start + 1] | 1
    lengths = _walk_lengths(b1, data[start + 2] & 0x0C)
    budget = Budget()
    frames = skipped = length = 0
    pos, last = start, end - 4
    while pos <= last:
        # Where one frame ends the next begins: its sync byte and a length suffice
        # here; after garbage, find_first_frame checks headers in full.
        if data[pos] == 0xFF:
            length = lengths[data[pos + 2]]
            if length:
                pos += length
                frames += 1
                continue
        found = find_first_frame(data, pos + 1, end, budget)
        if found is None:
            break
        skipped += found[0] - pos
        pos = found[0]
    cut_short = False
    if pos > end:  # the last frame runs past the end of the stream
        frames -= 1
        pos -= length
        cut_short = True
    elif pos < end:
        cut_short = _looks_cut(data, pos, end) or end - pos < 4
    audio_bytes = pos - start - skipped
    first_length = lengths[data[start + 2] & 0xFD] or 1  # without padding
    variable = frames > 0 and not (
        frames * first_length <= audio_bytes <= frames * (first_length + 1)
    )
    return FrameCount(frames, audio_bytes, variable, cut_short)


@cache
def _walk_lengths(b1: int, rate_bits: int) -> tuple[int, ...]:
    """Frame lengths by third header byte, zero where the sample rate changes."""
    return tuple(
        length if b2 & 0x0C == rate_bits else 0
        for b2, length in enumerate(_frame_lengths(b1))
    )


def _looks_cut(data: bytes, pos: int, end: int) -> bool:
    """A valid header whose frame runs past the end: the file was cut there."""
    header = parse_header(data, pos)
    return header is not None and pos + header.length > end


def trailing_tags_start(data: bytes) -> int:
    """Where the tags after the stream begin (ID3v1, APEv2, Lyrics3 are skipped)."""
    end = len(data)
    changed = True
    while changed:
        changed = False
        if end >= 128 and data[end - 128 : end - 125] == b"TAG":
            end -= 128
            changed = True
        if end >= 32 and data[end - 32 : end - 24] == b"APETAGEX":
            (size,) = struct.unpack_from("<I", data, end - 20)
            (flags,) = struct.unpack_from("<I", data, end - 12)
            has_header = bool(flags & 0x80000000)
            size += 32 if has_header else 0
            if 0 < size <= end:
                end -= size
                changed = True
        if end >= 15 and data[end - 9 : end] == b"LYRICS200":
            try:
                size = int(data[end - 15 : end - 9])
            except ValueError:
                size = -1
            if 0 < size + 15 <= end:
                end -= size + 15
                changed = True
    return end


def skip_id3v2(data: bytes) -> int:
    """Offset of the first byte after any ID3v2 tags at the start."""
    pos = 0
    while data[pos : pos + 3] == b"ID3" and len(data) >= pos + 10:
        size_bytes = data[pos + 6 : pos + 10]
        if any(b & 0x80 for b in size_bytes):
            break
        size = 0
        for b in size_bytes:
            size = (size << 7) | b
        footer = 10 if data[pos + 5] & 0x10 else 0
        pos += 10 + size + footer
    return pos
