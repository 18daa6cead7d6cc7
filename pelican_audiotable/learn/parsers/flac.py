"""FLAC frames at the end of a file: how much of what STREAMINFO promises is there.

A FLAC file states its total sample count up front, so a cut-off upload still
claims its full length. The frames say the truth: each header carries the number
of its first sample, and a frame is whole when its closing CRC-16 matches. The
last frame of the file, found from its end, tells how many samples will play.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import BinaryIO

#: Bytes searched back from the end for the last frame header, beyond the largest
#: frame STREAMINFO announces; and at most, whatever it announces (the largest
#: frame the format allows is under 4 MiB).
_SEARCH = 64 * 1024
_MAX_SEARCH = 4 * 1024 * 1024
#: Candidate frame headers looked at before a search gives up.
_CANDIDATES = 4096
#: Metadata blocks walked before the first frame, at most.
_MAX_BLOCKS = 1024


@dataclass(frozen=True)
class StreamInfo:
    """What STREAMINFO says about the whole stream."""

    min_block: int
    max_block: int
    max_frame_bytes: int  # 0 when unknown
    sample_rate: int
    channels: int
    bits_per_sample: int
    total_samples: int  # 0 when unknown


@dataclass(frozen=True)
class Frame:
    """One frame header: where it is and which samples it holds."""

    offset: int
    first_sample: int
    block_size: int
    fixed: bool = True  # numbered by frame (a fixed block size), not by sample


def parse_streaminfo(block: bytes) -> StreamInfo | None:
    """The 34 bytes of a STREAMINFO block."""
    if len(block) < 34:
        return None
    packed = int.from_bytes(block[10:18], "big")
    return StreamInfo(
        min_block=int.from_bytes(block[0:2], "big"),
        max_block=int.from_bytes(block[2:4], "big"),
        max_frame_bytes=int.from_bytes(block[7:10], "big"),
        sample_rate=packed >> 44,
        channels=((packed >> 41) & 0x7) + 1,
        bits_per_sample=((packed >> 36) & 0x1F) + 1,
        total_samples=packed & 0xFFFFFFFFF,
    )


def playable_samples(tail: bytes, info: StreamInfo) -> int | None:
    """Samples that will play, judged from the last bytes of the stream.

    ``tail`` ends where the audio ends (tags after it removed). None when no frame
    header is found there: then nothing better than STREAMINFO is known.
    """
    last = last_frame(tail, info)
    if last is None:
        return None
    whole = _crc16(tail[last.offset : -2]) == int.from_bytes(tail[-2:], "big")
    return last.first_sample + (last.block_size if whole else 0)


def search_size(info: StreamInfo) -> int:
    """How many bytes from the end hold the last frame header for sure."""
    return min(max(_SEARCH, 2 * info.max_frame_bytes), _MAX_SEARCH)


_SYNC = re.compile(b"\xff[\xf8\xf9]")


def last_frame(data: bytes, info: StreamInfo) -> Frame | None:
    """The last valid frame header in ``data``, searched from the end by the two
    bytes every frame starts with (runs of other bytes are skipped at C speed)."""
    for tried, pos in enumerate(_syncs_backward(data)):
        frame = parse_frame_header(data, pos, info)
        if frame is not None and (
            not info.total_samples
            or frame.first_sample < info.total_samples
            or _crc16(data[pos:-2]) == int.from_bytes(data[-2:], "big")
        ):  # past STREAMINFO's total only when it is whole: no chance match
            return frame
        if tried == _CANDIDATES:
            break
    return None


def first_frame(data: bytes, info: StreamInfo) -> Frame | None:
    """The first valid frame header in ``data`` (the bytes after the metadata)."""
    for tried, match in enumerate(_SYNC.finditer(data)):
        frame = parse_frame_header(data, match.start(), info)
        if frame is not None:
            return frame
        if tried == _CANDIDATES:
            break
    return None


def _syncs_backward(data: bytes, window: int = 4096) -> Iterator[int]:
    """Where the frame sync occurs in ``data``, last first, a window at a time."""
    end = len(data)
    while end > 0:
        start = max(0, end - window)
        found = [
            m.start() for m in _SYNC.finditer(data, start, min(len(data), end + 1))
        ]
        yield from reversed([pos for pos in found if pos < end])
        end = start


def audio_start(handle: BinaryIO, offset: int = 0) -> int | None:
    """Where the frames begin: after the ``fLaC`` marker at ``offset`` and every
    metadata block. None when the blocks do not end inside the file."""
    pos = offset + 4
    for _ in range(_MAX_BLOCKS):
        handle.seek(pos)
        header = handle.read(4)
        if len(header) < 4:
            return None
        pos += 4 + int.from_bytes(header[1:4], "big")
        if header[0] & 0x80:
            return pos
    return None


def parse_frame_header(data: bytes, pos: int, info: StreamInfo) -> Frame | None:
    """The frame header at ``pos`` if it is one: sync, fields that fit the stream,
    and a matching CRC-8 (a chance match in audio data passes 1 time in 256)."""
    if data[pos + 1 : pos + 2] not in (b"\xf8", b"\xf9") or pos + 6 > len(data):
        return None
    variable = data[pos + 1] & 1
    size_code, rate_code = data[pos + 2] >> 4, data[pos + 2] & 0x0F
    channel_code, depth_code = data[pos + 3] >> 4, (data[pos + 3] >> 1) & 0x07
    if (
        size_code == 0
        or data[pos + 3] & 1
        or not _fits(info, rate_code, channel_code, depth_code)
    ):
        return None
    coded = _utf8_number(data, pos + 4)
    if coded is None:
        return None
    number, at = coded
    if size_code == 6:
        block_size, at = data[at] + 1 if at < len(data) else 0, at + 1
    elif size_code == 7:
        block_size, at = int.from_bytes(data[at : at + 2], "big") + 1, at + 2
    else:
        block_size = _BLOCK_SIZES[size_code]
    at += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if at >= len(data) or _crc8(data[pos:at]) != data[at]:
        return None
    # Numbered by sample when the bit says so, or, as libFLAC reads the old
    # variable-blocksize encoders (flake), whose frames left the bit at 0, when
    # STREAMINFO's smallest block differs from its largest.
    by_sample = variable or info.min_block != info.max_block
    first = number if by_sample else number * info.max_block
    return Frame(pos, first, block_size, fixed=not by_sample)


def _fits(info: StreamInfo, rate_code: int, channel_code: int, depth_code: int) -> bool:
    """Whether a header's rate, channels and depth are the stream's."""
    as_stream = rate_code in (0, 12, 13, 14)  # as STREAMINFO says, or in the header
    rate = _RATES.get(rate_code, info.sample_rate if as_stream else 0)
    channels = channel_code + 1 if channel_code < 8 else 2 if channel_code <= 10 else 0
    depth = _DEPTHS.get(depth_code, info.bits_per_sample if depth_code == 0 else 0)
    return (rate, channels, depth) == (
        info.sample_rate,
        info.channels,
        info.bits_per_sample,
    )


_RATES = {
    1: 88200,
    2: 176400,
    3: 192000,
    4: 8000,
    5: 16000,
    6: 22050,
    7: 24000,
    8: 32000,
    9: 44100,
    10: 48000,
    11: 96000,
}
_DEPTHS = {1: 8, 2: 12, 4: 16, 5: 20, 6: 24, 7: 32}
_BLOCK_SIZES = {
    1: 192,
    **{code: 576 << (code - 2) for code in range(2, 6)},
    **{code: 256 << (code - 8) for code in range(8, 16)},
}


def _utf8_number(data: bytes, pos: int) -> tuple[int, int] | None:
    """A frame or sample number in FLAC's UTF-8-like coding, and where it ends."""
    if pos >= len(data):
        return None
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    extra = next((n for n in range(1, 7) if not first & (0x40 >> n)), None)
    if first & 0xC0 != 0xC0 or extra is None or pos + extra >= len(data):
        return None
    value = first & (0x3F >> extra)
    for byte in data[pos + 1 : pos + 1 + extra]:
        if byte & 0xC0 != 0x80:
            return None
        value = (value << 6) | (byte & 0x3F)
    return value, pos + 1 + extra


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = _CRC8[crc ^ byte]
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    table = _crc16_table()
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def _table(bits: int, polynomial: int) -> tuple[int, ...]:
    top, mask = 1 << (bits - 1), (1 << bits) - 1
    table = []
    for byte in range(256):
        crc = byte << (bits - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ polynomial) if crc & top else crc << 1
        table.append(crc & mask)
    return tuple(table)


_CRC8 = _table(8, 0x07)


@cache
def _crc16_table() -> tuple[int, ...]:
    return _table(16, 0x8005)
